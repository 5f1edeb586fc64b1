// Requests whose database round trips docs/api.md states: what each costs in round trips (the gateway's
// counters) and in latency, failed above the stated figure. Used by the conditional requests and by live updates.
import type { GatewayStats } from "../local/gateway/gateway";
import { countStatuses, inPool, latency, statusMismatches, type Latency } from "./load";
import { call, type Answer, type Answered } from "./scenarios";

export type RoundTripRun = {
  scenario: string;
  requests: number;
  statuses: Record<string, number>;
  latency: Latency;
  roundTripsPerRequest: number;
  /** What the docs state for this request. */
  expectedRoundTrips: number;
  failures: string[];
};

/** `send` for every item, `concurrency` at a time; each must answer `expected.status` in at most `expected.roundTrips`. */
export async function measureRoundTrips<T>(
  stats: () => GatewayStats,
  scenario: string,
  items: readonly T[],
  concurrency: number,
  send: (item: T) => Promise<Answer>,
  expected: { status: number; roundTrips: number },
): Promise<{ run: RoundTripRun; answers: Answered[] }> {
  const before = stats().requests;
  const answers = await inPool(items, concurrency, (item) => call(() => send(item)));
  const statuses = countStatuses(answers);
  const roundTripsPerRequest = (stats().requests - before) / items.length;
  const failures = statusMismatches(statuses, { [expected.status]: items.length });
  if (roundTripsPerRequest > expected.roundTrips) failures.push(`${roundTripsPerRequest} round trips a request, expected ${expected.roundTrips}`);
  const run = { scenario, requests: items.length, statuses, latency: latency(answers), roundTripsPerRequest, expectedRoundTrips: expected.roundTrips, failures };
  return { run, answers };
}
