// Memory over a long run: rounds of creates, reads and list pages against our worker, with the isolate's
// JS heap read after a full garbage collection between rounds. A heap that keeps growing is a leak
// that would, given enough requests, take the isolate to its 128 MB limit.
import type { Inspector } from "./inspector";
import { countStatuses, inPool, statusMismatches, timed, type Sample } from "./load";
import type { WorkerTarget } from "./worker-target";

export type SoakSizes = { rounds: number; requestsPerRound: number; concurrency: number };

export type Soak = SoakSizes & {
  /** Heap in use after GC: before the first round (after a warm-up), then after each round. */
  heapBytes: number[];
  statuses: Record<string, number>;
  expectedStatuses: Record<string, number>;
  growing: boolean;
  failures: string[];
};

/** Growth in every round adds up to more than this: a leak of about 100 bytes a request at full scale. */
export const STEADY_GROWTH_TOLERANCE_BYTES = 1024 * 1024;
/** More than this between the first and the last reading fails even with a dip in between. */
export const TOTAL_GROWTH_LIMIT_BYTES = 8 * 1024 * 1024;

const LIST_PAGE = 20;

export function soakSizesFor(scale: number): SoakSizes {
  return { rounds: 5, requestsPerRound: Math.max(300, Math.round(3000 * scale)), concurrency: 50 };
}

/** Why the heap readings count as growing, or null when they do not. */
export function heapGrowth(heapBytes: readonly number[]): string | null {
  const first = heapBytes[0]!;
  const total = heapBytes.at(-1)! - first;
  const roseEveryRound = heapBytes.every((bytes, i) => i === 0 || bytes > heapBytes[i - 1]!);
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  if (roseEveryRound && total > STEADY_GROWTH_TOLERANCE_BYTES) {
    return `the heap grew in every round, ${mib(total)} in all (tolerance ${mib(STEADY_GROWTH_TOLERANCE_BYTES)})`;
  }
  if (total > TOTAL_GROWTH_LIMIT_BYTES) return `the heap grew ${mib(total)} (limit ${mib(TOTAL_GROWTH_LIMIT_BYTES)})`;
  return null;
}

/** One round: a third creates, a third reads of those, a third first pages of the list. */
async function round(target: WorkerTarget, idPrefix: string, sizes: SoakSizes): Promise<Sample[]> {
  const ids = Array.from({ length: Math.ceil(sizes.requestsPerRound / 3) }, (_, i) => `${idPrefix}${i}`);
  const created = await inPool(ids, sizes.concurrency, (id) => timed(async () => (await target.create({ id, name: `Soak ${id}` })).status));
  const read = await inPool(ids, sizes.concurrency, (id) => timed(async () => (await target.read(id)).status));
  const listed = await inPool(ids, sizes.concurrency, () => timed(async () => (await target.list(LIST_PAGE)).status));
  return [...created, ...read, ...listed];
}

export async function soak(target: WorkerTarget, inspector: Inspector, idPrefix: string, sizes: SoakSizes): Promise<Soak> {
  // A warm-up round first: compiled code and the driver's first allocations are not a leak.
  await round(target, `${idPrefix}warm-`, { ...sizes, requestsPerRound: Math.min(300, sizes.requestsPerRound) });
  const heapBytes = [(await inspector.heapAfterGc()).usedSize];
  const samples: Sample[] = [];
  for (let r = 0; r < sizes.rounds; r++) {
    samples.push(...(await round(target, `${idPrefix}${r}-`, sizes)));
    heapBytes.push((await inspector.heapAfterGc()).usedSize);
  }
  const perKind = samples.length / 3;
  const expectedStatuses = { 201: perKind, 200: 2 * perKind };
  const statuses = countStatuses(samples);
  const failures = statusMismatches(statuses, expectedStatuses).map((line) => `soak: ${line}`);
  const growth = heapGrowth(heapBytes);
  if (growth) failures.push(`soak: ${growth}`);
  return { ...sizes, heapBytes, statuses, expectedStatuses, growing: growth !== null, failures };
}
