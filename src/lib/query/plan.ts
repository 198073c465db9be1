/**
 * Queries as plans. A summary or trend is written once as a generator that yields aggregate requests and
 * receives their rows; `runPlan` drives it against any async store, `runPlanSync` against the in-memory one
 * (the tracker's synchronous API). One piece of query code, every backend.
 */

import type { AggregateRequest, AggregateRow, SyncAggregator, UsageStore } from "../store/store.js"

export type { AggregateRequest }

/** Yields batches of requests (answered together, in order), returns the result. */
export type QueryPlan<T> = Generator<AggregateRequest[], T, AggregateRow[][]>

/** Runs a plan; a store with `aggregateMany` answers each step at once, otherwise requests go one by one. */
export async function runPlan<T>(
  plan: QueryPlan<T>,
  store: Pick<UsageStore, "aggregate" | "aggregateMany">,
): Promise<T> {
  let step = plan.next(undefined as never)
  while (!step.done) {
    let answers: AggregateRow[][]
    if (store.aggregateMany && step.value.length > 1) answers = await store.aggregateMany(step.value)
    else {
      answers = []
      for (const request of step.value) answers.push(await store.aggregate(request.filter, request.groupBy))
    }
    step = plan.next(answers)
  }
  return step.value
}

export function runPlanSync<T>(plan: QueryPlan<T>, store: SyncAggregator): T {
  let step = plan.next(undefined as never)
  while (!step.done) {
    step = plan.next(step.value.map((request) => store.aggregateSync(request.filter, request.groupBy)))
  }
  return step.value
}
