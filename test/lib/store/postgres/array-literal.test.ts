import { expect } from "chai"
import { arrayLiteral } from "../../../../src/lib/store/postgres/array-literal.js"
import { skipWithoutPostgres, withPgClient } from "../../../helpers/postgres.js"

describe("arrayLiteral (PostgreSQL array parameters)", function () {
  this.timeout(30_000)

  before(async function () {
    await skipWithoutPostgres(this)
  })

  const TEXTS = [
    "plain",
    "",
    "NULL",
    "null",
    ' quoted "name" ',
    "back\\slash\\",
    '\\"',
    "a,b",
    "{braces}",
    "new\nline\ttab",
    "café 日本 🚀",
    "'single'",
  ]

  it("reads back as the same texts in PostgreSQL, NULL apart from the text 'NULL'", async () => {
    const values = [...TEXTS, null]
    const rows = await withPgClient(async (client) => {
      const { rows } = await client.query("SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i", [
        arrayLiteral(values),
      ])
      return rows.map((r) => r.t)
    })
    expect(rows).to.deep.equal(values)
  })

  it("sends integers exactly, past 2^53 too (numbers and bigints), and NULL", async () => {
    const values = [0, -1, 2 ** 53 - 1, 123456789123456784, -(2 ** 62), 9223372036854775807n, null, undefined]
    const rows = await withPgClient(async (client) => {
      const { rows } = await client.query(
        "SELECT n::text AS n FROM unnest($1::bigint[]) WITH ORDINALITY AS u(n, i) ORDER BY i",
        [arrayLiteral(values)],
      )
      return rows.map((r) => r.n)
    })
    expect(rows).to.deep.equal([
      "0",
      "-1",
      "9007199254740991",
      BigInt(123456789123456784).toString(),
      BigInt(-(2 ** 62)).toString(),
      "9223372036854775807",
      null,
      null,
    ])
  })

  it("writes the empty array as {}", () => {
    expect(arrayLiteral([])).to.equal("{}")
  })

  it("refuses values that are no text, integer or null", () => {
    expect(() => arrayLiteral([{}])).to.throw(TypeError)
  })
})
