// `npm run bench`: the four benchmark scenarios through the worker, the same statements straight
// through the Neon driver (the baseline for the worker's overhead), and "check, then insert" through
// the driver to measure the failure rate the API exists to remove.
//
//   npm run bench                          local stack: gateway on PGlite, or PostgreSQL with DATABASE_URL
//   npm run bench -- --scale 0.25          a quarter of the requests
//   npm run bench -- --url https://... --token <jwt>   a deployed worker (worker path only)
//   npm run bench -- --out bench/results/mine.json
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { sign } from "hono/jwt";
import { connectDriver } from "./driver-targets";
import { overheadOf, renderSummary, renderTable, writeReport, type Measured, type PathKind, type Report } from "./report";
import { chatBursts, distinctCreates, oneIdStampede, readsOfExisting, sizesFor, type ScenarioRun, type Sizes, type Target } from "./scenarios";
import type { GatewayStats } from "../local/gateway";
import { startLocalStack } from "./stack";
import { WorkerTarget } from "./worker-target";

/** How a path's effects are observed: rows by id prefix, and the gateway's counters when in reach. */
type Observer = { countRows(prefix: string): Promise<number>; stats: (() => GatewayStats) | null };

const MAX_LISTED_PROBLEMS = 10;

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    token: { type: "string" },
    scale: { type: "string", default: "1" },
    timeout: { type: "string", default: "30000" },
    out: { type: "string" },
  },
});
const scale = Number(args.scale);
const timeoutMs = Number(args.timeout);
if (!(scale > 0) || !(timeoutMs > 0)) throw new Error("--scale and --timeout must be positive numbers");
if (args.url && !args.token) throw new Error("--url needs --token (a JWT the deployed worker accepts)");

const runTag = randomBytes(4).toString("hex");
const startedAt = new Date();
const sizes = sizesFor(scale);

function failuresOf(run: ScenarioRun, rows: number | null): string[] {
  const statuses = new Set([...Object.keys(run.statuses), ...Object.keys(run.expectedStatuses)]);
  const failures = [...statuses].flatMap((status) => {
    const [seen, wanted] = [run.statuses[status] ?? 0, run.expectedStatuses[status] ?? 0];
    return seen === wanted ? [] : [`${seen} answers ${status}, expected ${wanted}`];
  });
  if (rows !== null && rows !== run.expectedRows) failures.push(`${rows} rows in the database, expected ${run.expectedRows}`);
  failures.push(...run.problems.slice(0, MAX_LISTED_PROBLEMS));
  if (run.problems.length > MAX_LISTED_PROBLEMS) failures.push(`... and ${run.problems.length - MAX_LISTED_PROBLEMS} more`);
  return failures;
}

function perRequest(before: GatewayStats, after: GatewayStats, requests: number) {
  const statements: Record<string, number> = {};
  for (const [command, n] of Object.entries(after.statements)) {
    const delta = n - (before.statements[command] ?? 0);
    if (delta > 0) statements[command] = delta / requests;
  }
  return { roundTrips: (after.requests - before.requests) / requests, statements };
}

async function measure(path: PathKind, observer: Observer, scenario: () => Promise<ScenarioRun>): Promise<Measured> {
  const before = observer.stats?.();
  const run = await scenario();
  const counters = before && observer.stats ? perRequest(before, observer.stats(), run.requests) : null;
  const rows = await observer.countRows(run.rowIdPrefix);
  return {
    ...run,
    path,
    rows,
    roundTripsPerRequest: counters?.roundTrips ?? null,
    statementsPerRequest: counters?.statements ?? null,
    failures: failuresOf(run, rows),
  };
}

/** A few unrecorded requests first, so connection set-up and JIT warm-up stay out of the percentiles. */
async function warmUp(target: Target, idPrefix: string): Promise<void> {
  const small: Sizes = { ...sizes, distinctCreates: 50, reads: 50, concurrency: 10 };
  const [, ids] = await distinctCreates(target, idPrefix, small);
  await readsOfExisting(target, ids, idPrefix, small);
}

async function measureAllScenarios(path: PathKind, target: Target, observer: Observer): Promise<Measured[]> {
  const prefix = `${runTag}-${path.slice(0, 1)}-`;
  await warmUp(target, `${prefix}warm-`);
  const burst = await measure(path, observer, () => chatBursts(target, `${prefix}burst-`, sizes));
  const oneId = await measure(path, observer, () => oneIdStampede(target, `${prefix}one-`, sizes));
  let existingIds: string[] = [];
  const distinct = await measure(path, observer, async () => {
    const [run, ids] = await distinctCreates(target, `${prefix}new-`, sizes);
    existingIds = ids;
    return run;
  });
  const reads = await measure(path, observer, () => readsOfExisting(target, existingIds, `${prefix}new-`, sizes));
  return [burst, oneId, distinct, reads];
}

async function benchDeployed(url: string, token: string): Promise<Measured[]> {
  const worker = new WorkerTarget(url, token, timeoutMs);
  const observer: Observer = {
    countRows: async (prefix) => (await worker.listIds()).filter((id) => id.startsWith(prefix)).length,
    stats: null,
  };
  return measureAllScenarios("worker", worker, observer);
}

async function benchLocal(): Promise<{ runs: Measured[]; backend: string }> {
  const jwtSecret = randomBytes(32).toString("base64url");
  const stack = await startLocalStack(jwtSecret);
  try {
    const driver = connectDriver(stack.gateway.url, timeoutMs);
    const stats = () => stack.gateway.stats();
    const userOf = (path: PathKind) => `bench-${runTag}-${path}`;
    const observerOf = (path: PathKind): Observer => ({ countRows: (prefix) => driver.countRows(userOf(path), prefix), stats });

    const now = Math.floor(Date.now() / 1000);
    const token = await sign({ sub: userOf("worker"), iat: now, exp: now + 3600 }, jwtSecret, "HS256");
    const runs = await measureAllScenarios("worker", new WorkerTarget(stack.workerUrl, token, timeoutMs), observerOf("worker"));
    runs.push(...(await measureAllScenarios("driver", driver.raceSafeTarget(userOf("driver")), observerOf("driver"))));

    const naive = driver.checkThenInsertTarget(userOf("check-then-insert"));
    const naiveObserver = observerOf("check-then-insert");
    runs.push(await measure("check-then-insert", naiveObserver, () => chatBursts(naive, `${runTag}-c-burst-`, sizes)));
    return { runs, backend: stack.gateway.backend };
  } finally {
    await stack.close();
  }
}

function commit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function checkThenInsertFigures(runs: readonly Measured[]): Report["checkThenInsert"] {
  const run = runs.find((r) => r.path === "check-then-insert");
  if (!run) return null;
  const failed = run.requests - (run.statuses[201] ?? 0) - (run.statuses[200] ?? 0);
  const idsWithAFailure = run.problems.length;
  return { requests: run.requests, failed, failureRate: failed / run.requests, idsWithAFailure };
}

const { runs, backend } = args.url
  ? { runs: await benchDeployed(args.url, args.token!), backend: "remote (not observed)" }
  : await benchLocal();

const report: Report = {
  startedAt: startedAt.toISOString(),
  commit: commit(),
  node: process.version,
  cpus: availableParallelism(),
  backend,
  target: args.url ?? "local worker (wrangler dev runtime)",
  scale,
  runs,
  overhead: overheadOf(runs),
  checkThenInsert: checkThenInsertFigures(runs),
  // The check-then-insert path is there to fail; its failures are the measurement, not a fault.
  passed: runs.every((run) => run.path === "check-then-insert" || run.failures.length === 0),
};
const outPath = args.out ?? `bench/results/bench-${startedAt.toISOString().replace(/[:.]/g, "-")}-${backend.split(" ")[0]}.json`;
writeReport(outPath, report);
console.log(renderTable(report));
console.log(renderSummary(report));
console.log(`JSON: ${outPath}`);
process.exitCode = report.passed ? 0 : 1;
