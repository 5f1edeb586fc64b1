// Load generation and latency statistics, independent of what is being called.

/** What one call answered: an HTTP status (or the status the driver path stands for), or why it did not. */
export type Status = number | "timeout" | "error";

export type Sample = { status: Status; ms: number };

export type Latency = { p50: number; p95: number; p99: number; max: number };

/** Times one call; a thrown error is a sample too, so a failing path is counted rather than aborting the run. */
export async function timed(call: () => Promise<Status>): Promise<Sample> {
  const start = performance.now();
  let status: Status;
  try {
    status = await call();
  } catch (error) {
    status = error instanceof Error && error.name === "TimeoutError" ? "timeout" : "error";
  }
  return { status, ms: performance.now() - start };
}

/** Runs `task` for every item with at most `concurrency` in flight, in item order. */
export async function inPool<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** Nearest-rank percentiles: every figure reported is a latency that a request really had. */
export function latency(samples: readonly Sample[]): Latency {
  const sorted = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return { p50: rank(50), p95: rank(95), p99: rank(99), max: sorted.at(-1) ?? Number.NaN };
}

export function countStatuses(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of samples) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** One line for each status whose count differs from the expected one. */
export function statusMismatches(seen: Record<string, number>, expected: Record<string, number>): string[] {
  return Object.keys({ ...seen, ...expected }).flatMap((status) => {
    const [got, wanted] = [seen[status] ?? 0, expected[status] ?? 0];
    return got === wanted ? [] : [`${got} answers ${status}, expected ${wanted}`];
  });
}
