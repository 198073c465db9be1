import { expect } from "chai"
import { formatDecimal } from "../../src/lib/decimal.js"

const intl = (digits: number) =>
  new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

describe("decimal formatting", () => {
  it("prints what Intl.NumberFormat('en-US') prints, for 0 and 4 fraction digits", () => {
    const values = [
      0,
      -0,
      1,
      -1,
      0.5,
      1.5,
      2.5,
      -2.5,
      -0.4,
      0.00005,
      -0.00001,
      1.005,
      1.00005,
      2.00015,
      9.99995,
      0.99995,
      999.5,
      999_999.99995,
      0.1 + 0.2,
      1.5e-7,
      1e-7,
      123456789.123456,
      1e15 + 0.3,
      1e16 + 2,
      123456789012345680000,
      1e21,
      1.5e21,
      1e300,
      5e-324,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_VALUE,
      -1234567.89,
      Number.NaN,
      Infinity,
      -Infinity,
    ]
    // Random magnitudes from 1e-9 to 1e18, and exact halves at the 4th and 5th digit.
    let seed = 7
    const random = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (let i = 0; i < 3000; i++) values.push((random() - 0.3) * 10 ** Math.floor(random() * 27 - 9))
    for (let i = 0; i < 2000; i++) values.push(Math.floor(random() * 2_000_000) / 20_000, i / 2)
    for (const digits of [0, 4]) {
      const reference = intl(digits)
      for (const value of values) expect(formatDecimal(value, digits), `${value}`).to.equal(reference.format(value))
    }
  })
})
