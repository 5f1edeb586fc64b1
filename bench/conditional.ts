// The requests that carry a precondition or an idempotency key, through our worker: what each costs in
// database round trips (the gateway's counters) and in latency. Their statements are our worker's own,
// so there is no floor to compare with; the round trips are the figures the docs promise.
import type { GatewayStats } from "../local/gateway/gateway";
import { measureRoundTrips, type RoundTripRun } from "./round-trips";
import type { Answer } from "./scenarios";
import type { WorkerTarget } from "./worker-target";

export async function conditionalRequests(
  target: WorkerTarget,
  stats: () => GatewayStats,
  prefix: string,
  { count, concurrency }: { count: number; concurrency: number },
): Promise<RoundTripRun[]> {
  const measure = <T>(scenario: string, items: readonly T[], send: (item: T) => Promise<Answer>, expected: { status: number; roundTrips: number }) =>
    measureRoundTrips(stats, scenario, items, concurrency, send, expected);

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
