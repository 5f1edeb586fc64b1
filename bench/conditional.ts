// The requests that carry a precondition or an idempotency key, through our worker: what each costs in
// database round trips (the gateway's counters) and in latency. Their statements are our worker's own,
// so there is no floor to compare with; the round trips are the figures the docs promise.
import type { GatewayStats } from "../local/gateway/gateway";
import { countStatuses, inPool, latency, statusMismatches, type Latency } from "./load";
import { call, type Answer, type Answered } from "./scenarios";
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

export async function conditionalRequests(
  target: WorkerTarget,
  stats: () => GatewayStats,
  prefix: string,
  { count, concurrency }: { count: number; concurrency: number },
): Promise<ConditionalRun[]> {
  async function measure<T>(
    scenario: string,
    items: readonly T[],
    send: (item: T) => Promise<Answer>,
    expected: { status: number; roundTrips: number },
  ): Promise<{ run: ConditionalRun; answers: Answered[] }> {
    const before = stats().requests;
    const answers = await inPool(items, concurrency, (item) => call(() => send(item)));
    const statuses = countStatuses(answers);
    const roundTripsPerRequest = (stats().requests - before) / items.length;
    const failures = statusMismatches(statuses, { [expected.status]: items.length });
    if (roundTripsPerRequest > expected.roundTrips) failures.push(`${roundTripsPerRequest} round trips a request, expected ${expected.roundTrips}`);
    const run = { scenario, requests: items.length, statuses, latency: latency(answers), roundTripsPerRequest, expectedRoundTrips: expected.roundTrips, failures };
    return { run, answers };
  }

  const keys = Array.from({ length: count }, (_, i) => `${prefix}key-${i}`);
  const createKey = (key: string) => target.createWithKey(`Client ${key}`, key);
  const newKeys = await measure("POST, new Idempotency-Key", keys, createKey, { status: 201, roundTrips: 1 });
  const replayedKeys = await measure("POST, replayed Idempotency-Key", keys, createKey, { status: 200, roundTrips: 2 });
  const clients = newKeys.answers.flatMap(({ client }) => (client?.etag ? [{ id: client.id, etag: client.etag }] : []));
  const currentTags = await measure("PATCH, current If-Match", clients, ({ id, etag }) => target.patch(id, { company: "Changed" }, etag), {
    status: 200,
    roundTrips: 1,
  });
  // The tags the creates returned, all stale now.
  const staleTags = await measure("PATCH, stale If-Match (412)", clients, ({ id, etag }) => target.patch(id, { company: "Lost" }, etag), {
    status: 412,
    roundTrips: 2,
  });
  return [newKeys, replayedKeys, currentTags, staleTags].map(({ run }) => run);
}
