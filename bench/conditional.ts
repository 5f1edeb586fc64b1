// The requests that carry a precondition or an idempotency key, through our worker: what each costs in
// database round trips (the gateway's counters) and in latency. Their statements are our worker's own,
// so there is no floor to compare with; the round trips are the figures the docs promise.
import type { GatewayStats } from "../local/gateway/gateway";
import { countStatuses, inPool, latency, statusMismatches, timed, type Latency } from "./load";
import type { Answer } from "./scenarios";
import type { WorkerTarget } from "./worker-target";

export type ConditionalRun = {
  scenario: string;
  requests: number;
  statuses: Record<string, number>;
  latency: Latency;
  roundTripsPerRequest: number;
  /** What the docs state for this request. */
  expectedRoundTrips: number;
  failures: string[];
};

export const CONDITIONAL_SCENARIOS = {
  newKey: "POST, new Idempotency-Key",
  replayedKey: "POST, replayed Idempotency-Key",
  currentIfMatch: "PATCH, current If-Match",
  staleIfMatch: "PATCH, stale If-Match (412)",
} as const;

export async function conditionalRequests(
  target: WorkerTarget,
  stats: () => GatewayStats,
  prefix: string,
  { count, concurrency }: { count: number; concurrency: number },
): Promise<ConditionalRun[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}key-${i}`);
  const created: Answer[] = [];

  async function run<T>(
    scenario: string,
    items: readonly T[],
    send: (item: T) => Promise<Answer>,
    expected: { status: number; roundTrips: number },
  ): Promise<ConditionalRun> {
    const before = stats().requests;
    const answers: Answer[] = [];
    const samples = await inPool(items, concurrency, (item) =>
      timed(async () => {
        const answer = await send(item);
        answers.push(answer);
        return answer.status;
      }),
    );
    const statuses = countStatuses(samples);
    const roundTripsPerRequest = (stats().requests - before) / items.length;
    const failures = statusMismatches(statuses, { [expected.status]: items.length });
    if (roundTripsPerRequest > expected.roundTrips) failures.push(`${roundTripsPerRequest} round trips a request, expected ${expected.roundTrips}`);
    return { scenario, requests: items.length, statuses, latency: latency(samples), roundTripsPerRequest, expectedRoundTrips: expected.roundTrips, failures };
  }

  const runs = [
    await run(CONDITIONAL_SCENARIOS.newKey, keys, async (key) => {
      const answer = await target.createWithKey(`Client ${key}`, key);
      created.push(answer);
      return answer;
    }, { status: 201, roundTrips: 1 }),
    await run(CONDITIONAL_SCENARIOS.replayedKey, keys, (key) => target.createWithKey(`Client ${key}`, key), { status: 200, roundTrips: 2 }),
  ];
  const clients = created.flatMap((answer) => (answer.client?.etag ? [{ id: answer.client.id, etag: answer.client.etag }] : []));
  runs.push(
    await run(CONDITIONAL_SCENARIOS.currentIfMatch, clients, ({ id, etag }) => target.patchIfMatch(id, { company: "Changed" }, etag), {
      status: 200,
      roundTrips: 1,
    }),
    // The tags the creates returned, all stale now.
    await run(CONDITIONAL_SCENARIOS.staleIfMatch, clients, ({ id, etag }) => target.patchIfMatch(id, { company: "Lost" }, etag), {
      status: 412,
      roundTrips: 2,
    }),
  );
  return runs;
}
