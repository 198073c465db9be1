/** The UsageHubError a promise rejects with (the test fails when it resolves or rejects with anything else). */
import { expect } from "chai"
import { UsageHubError } from "../../src/lib/errors.js"

export async function caught(promise: Promise<unknown>): Promise<UsageHubError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(UsageHubError)
    return error as UsageHubError
  }
  return expect.fail("expected a UsageHubError")
}
