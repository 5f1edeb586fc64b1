// Cost as the data grows: the clients table filled to three sizes on PostgreSQL, and at each size the
// p50 of our worker's create, read, first list page and a deep list page (reached through a cursor) for
// one heavy user who holds a tenth of all rows. Rows are generated on the server, not sent one by one.
import pg from "pg";
import { countStatuses, inPool, latency, statusMismatches, timed, type Sample, type Status } from "./load";
import type { WorkerTarget } from "./worker-target";

export const GROWTH_OPERATIONS = ["create", "read", "list first page", "list deep page"] as const;
export type GrowthOperation = (typeof GROWTH_OPERATIONS)[number];

export type GrowthStep = { rows: number; heavyUserRows: number; fillMs: number; p50: Record<GrowthOperation, number> };

export type Growth = {
  steps: GrowthStep[];
  /** p50 at the largest size over p50 at the smallest, per operation. */
  ratios: Record<GrowthOperation, number>;
  failures: string[];
};

export type GrowthSizes = { rows: number[]; requestsPerOperation: number };

const PAGE = 20;
const HEAVY_SHARE = 10; // every tenth generated row belongs to the heavy user
const OTHER_USERS = 50_000;
// Sequential requests: the p50 is the cost of one operation, not of a queue.
const CONCURRENCY = 1;

export function growthSizesFor(scale: number): GrowthSizes {
  return {
    rows: [1_000, 100_000, 1_000_000].map((rows) => Math.max(1_000, Math.round(rows * scale))),
    requestsPerOperation: Math.max(30, Math.round(200 * scale)),
  };
}

/**
 * Adds generated rows up to `total`. Row i belongs to the heavy user when i is a multiple of
 * HEAVY_SHARE, else to one of OTHER_USERS; row i is i seconds older than `epoch`, so the newest-first
 * list of the heavy user is in order of i.
 */
async function fillTo(client: pg.Client, heavyUser: string, epoch: Date, from: number, total: number): Promise<void> {
  await client.query(
    `INSERT INTO clients (user_id, id, name, email, created_at, updated_at)
     SELECT CASE WHEN i % ${HEAVY_SHARE} = 0 THEN $1 ELSE 'growth-user-' || (i % ${OTHER_USERS}) END,
            'growth-' || i, 'Client ' || i, 'client' || i || '@example.com', t, t
     FROM generate_series($2::int, $3::int - 1) AS i, LATERAL (SELECT $4::timestamptz - make_interval(secs => i) AS t) AS moment`,
    [heavyUser, from, total, epoch],
  );
  // As autovacuum would after a bulk load, so that the planner knows the table's size.
  await client.query("ANALYZE clients");
}

const WALK_PAGE = 100; // the API's largest page

/**
 * The cursor after which exactly one full page of the heavy user's list remains, reached as a client
 * would: page after page through the API, each page's nextCursor opening the next.
 */
async function deepCursor(client: pg.Client, target: WorkerTarget, heavyUser: string): Promise<string> {
  const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM clients WHERE user_id = $1", [heavyUser]);
  let toSkip = rows[0]!.n - PAGE;
  let cursor: string | undefined;
  while (toSkip > 0) {
    const page = await target.list(Math.min(WALK_PAGE, toSkip), cursor);
    if (page.status !== 200 || !page.nextCursor) throw new Error(`walking the heavy user's list answered ${page.status}`);
    cursor = page.nextCursor;
    toSkip -= page.clients.length;
  }
  if (!cursor) throw new Error(`the heavy user has fewer than ${PAGE + 1} rows`);
  return cursor;
}

type Probe = { operation: GrowthOperation; call: (i: number) => Promise<Status>; expected: Status };

async function measureStep(probes: readonly Probe[], requests: number, failures: string[]) {
  const p50 = {} as Record<GrowthOperation, number>;
  for (const probe of probes) {
    const samples: Sample[] = await inPool(
      Array.from({ length: requests }, (_, i) => i),
      CONCURRENCY,
      (i) => timed(() => probe.call(i)),
    );
    failures.push(...statusMismatches(countStatuses(samples), { [probe.expected]: requests }).map((line) => `growth, ${probe.operation}: ${line}`));
    p50[probe.operation] = latency(samples).p50;
  }
  return p50;
}

/**
 * `database` is the benchmark's own database (see database.ts), served to `target` by the gateway;
 * `target` is authenticated as `heavyUser`. The table is emptied first.
 */
export async function growth(database: string, target: WorkerTarget, heavyUser: string, idPrefix: string, sizes: GrowthSizes): Promise<Growth> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  const failures: string[] = [];
  const steps: GrowthStep[] = [];
  try {
    await client.query("TRUNCATE clients");
    const epoch = new Date();
    let filled = 0;
    for (const rows of sizes.rows) {
      const started = performance.now();
      await fillTo(client, heavyUser, epoch, filled, rows);
      const fillMs = performance.now() - started;
      filled = rows;
      const heavyUserRows = Math.ceil(rows / HEAVY_SHARE);
      const cursor = await deepCursor(client, target, heavyUser);
      const readable = (i: number) => `growth-${((i * 7919) % heavyUserRows) * HEAVY_SHARE}`;
      const probes: Probe[] = [
        { operation: "create", expected: 201, call: async (i) => (await target.create({ id: `${idPrefix}${rows}-${i}`, name: `New ${i}` })).status },
        { operation: "read", expected: 200, call: async (i) => (await target.read(readable(i))).status },
        { operation: "list first page", expected: 200, call: () => pageOf(target, undefined) },
        { operation: "list deep page", expected: 200, call: () => pageOf(target, cursor) },
      ];
      steps.push({ rows, heavyUserRows, fillMs, p50: await measureStep(probes, sizes.requestsPerOperation, failures) });
    }
  } finally {
    await client.end();
  }
  const [smallest, largest] = [steps[0]!, steps.at(-1)!];
  const ratios = Object.fromEntries(GROWTH_OPERATIONS.map((op) => [op, largest.p50[op] / smallest.p50[op]])) as Record<GrowthOperation, number>;
  return { steps, ratios, failures };
}

/** A full page is the only right answer: both the first and the deep page have PAGE rows after them. */
async function pageOf(target: WorkerTarget, cursor: string | undefined): Promise<Status> {
  const page = await target.list(PAGE, cursor);
  return page.status === 200 && page.clients.length !== PAGE ? "error" : page.status;
}
