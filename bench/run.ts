// `npm run bench`: the four benchmark scenarios through our worker and through the floor worker (the
// same statements through the bare Neon driver, in the same local runtime), with the CPU time of each
// runtime's processes; the same statements from Node with no runtime; "check, then insert" to measure
// the failure rate the API exists to remove; start-up profiles of both bundles; our isolate's heap over
// a soak; live updates' fan-out to open sockets; and, on PostgreSQL, the cost of each operation as the
// table grows to a million rows.
//
//   npm run bench                          local stack: gateway on PGlite, or PostgreSQL with DATABASE_URL
//   npm run bench -- --scale 0.1           a tenth of the requests and rows, about a minute
//   npm run bench -- --url https://... --token <jwt>   a deployed worker (its scenarios only)
//   npm run bench -- --out bench/results/mine.json
//   npm run bench -- --live-only           live updates only: a create's message on 1 and 100 sockets, round trips per write
//   npm run bench -- --startup-only --repeats 15   start-up only: ours against the floor, and where the time goes
//   npm run bench -- --cpu                 CPU per request only: handlers in workerd, database answers replayed
//   npm run bench -- --cpu --requests 5000 --repeats 5 --no-profile --local-platform
// First: its checks end a refused run before the modules below are evaluated.
import { args, scale, timeoutMs } from "./options";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { availableParallelism, cpus, loadavg, release, totalmem, type } from "node:os";
import type { GatewayStats } from "../local/gateway/gateway";
import { conditionalRequests } from "./conditional";
import { signDevToken } from "../local/tooling/dev-token";
import { createScratchDatabase, type ScratchDatabase } from "../local/tooling/scratch-database";
import { measureCpu, renderCpu } from "./cpu/measure";
import { connectDriver } from "./driver-targets";
import { growth, growthSizesFor } from "./growth";
import { Inspector, topFunctions } from "./inspector";
import { liveUpdates, type Live, type LiveUser } from "./live";
import { inPool, statusMismatches } from "./load";
import {
  CPU_TARGET,
  livePassed,
  overheadOf,
  renderLive,
  renderSummary,
  renderTable,
  targetsOf,
  writeJson,
  type Measured,
  type PathKind,
  type Report,
} from "./report";
import { cpuMs, type RuntimeProcesses } from "./runtime";
import { chatBursts, distinctCreates, oneIdStampede, readsOfExisting, sizesFor, type ScenarioRun, type Sizes, type Target } from "./scenarios";
import { soak, soakSizesFor } from "./soak";
import { locatorOfDevBundle } from "./sourcemap";
import { FLOOR_CONFIG, type LocalStack, OUR_CONFIG, startLocalStack } from "./stack";
import { compareStartup, renderStartupParts, type Startup } from "./startup";
import { WorkerTarget } from "./worker-target";

/** How a path's effects are observed: rows by id prefix, and the gateway's counters when in reach. */
type Observer = { countRows(prefix: string): Promise<number>; stats: (() => GatewayStats) | null };

/** One way of serving the scenarios, and the runtime processes whose CPU time it costs (if local). */
type Path = { kind: PathKind; target: Target; observer: Observer; processes: RuntimeProcesses | null };

const MAX_LISTED_PROBLEMS = 10;

const runTag = randomBytes(4).toString("hex");
const startedAt = new Date();
/** The start time in the JSON file's default name (bench/results, git-ignored). */
const fileStamp = startedAt.toISOString().replace(/[:.]/g, "-");
const sizes = sizesFor(scale);

/** Progress on stderr, so that a long run shows where it is and the table stays clean on stdout. */
function progress(step: string): void {
  console.error(`[bench ${((performance.now() / 1000) | 0).toString().padStart(4)} s] ${step}`);
}

function failuresOf(run: ScenarioRun, rows: number | null): string[] {
  const failures = statusMismatches(run.statuses, run.expectedStatuses);
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

async function measure(path: Path, scenario: () => Promise<ScenarioRun>): Promise<Measured> {
  const { observer, processes } = path;
  const before = observer.stats?.();
  const cpuBefore = processes && cpuMs(processes);
  const run = await scenario();
  const cpuAfter = processes && cpuMs(processes);
  const counters = before && observer.stats ? perRequest(before, observer.stats(), run.requests) : null;
  const rows = await observer.countRows(run.rowIdPrefix);
  return {
    ...run,
    path: path.kind,
    rows,
    roundTripsPerRequest: counters?.roundTrips ?? null,
    statementsPerRequest: counters?.statements ?? null,
    cpuPerRequest:
      cpuBefore && cpuAfter
        ? { worker: (cpuAfter.worker - cpuBefore.worker) / run.requests, proxy: (cpuAfter.proxy - cpuBefore.proxy) / run.requests }
        : null,
    failures: failuresOf(run, rows),
  };
}

/** Live updates through our worker, as two users of their own: one with 1 open socket, one with the most a user may open. */
async function measureLive(stack: LocalStack, jwtSecret: string): Promise<Live> {
  const user = async (name: string): Promise<LiveUser> => {
    const token = await signDevToken(`bench-${runTag}-${name}`, jwtSecret);
    return { target: new WorkerTarget(stack.ours.url, token, timeoutMs), token };
  };
  const users = { oneSocket: await user("live-one"), manySockets: await user("live-many") };
  return liveUpdates(stack.ours.url, users, () => stack.gateway.stats(), `${runTag}-live-`, {
    creates: Math.max(20, Math.round(200 * scale)),
    writes: Math.max(10, Math.round(50 * scale)),
  });
}

/** A few unrecorded requests first, so connection set-up and JIT warm-up stay out of the percentiles. */
async function warmUp(target: Target, idPrefix: string): Promise<void> {
  const small: Sizes = { ...sizes, distinctCreates: 50, reads: 50, concurrency: 10 };
  const [, ids] = await distinctCreates(target, idPrefix, small);
  await readsOfExisting(target, ids, idPrefix, small);
}

const prefixOf = (path: Path) => `${runTag}-${path.kind}-`;

/**
 * Every scenario on every path, the paths taking turns scenario by scenario, so that a busy moment on
 * the shared machine falls on all of them alike rather than on whichever path ran then.
 */
async function measureAllScenarios(paths: readonly Path[]): Promise<Measured[]> {
  progress(`warm-up: ${paths.map((path) => path.kind).join(", ")}`);
  for (const path of paths) await warmUp(path.target, `${prefixOf(path)}warm-`);
  const created = new Map<PathKind, string[]>();
  const scenarios: ((path: Path) => Promise<ScenarioRun>)[] = [
    (path) => chatBursts(path.target, `${prefixOf(path)}burst-`, sizes),
    (path) => oneIdStampede(path.target, `${prefixOf(path)}one-`, sizes),
    async (path) => {
      const [run, ids] = await distinctCreates(path.target, `${prefixOf(path)}new-`, sizes);
      created.set(path.kind, ids);
      return run;
    },
    (path) => readsOfExisting(path.target, created.get(path.kind) ?? [], `${prefixOf(path)}new-`, sizes),
  ];
  const byPath = new Map(paths.map((path) => [path.kind, [] as Measured[]]));
  for (const [i, scenario] of scenarios.entries()) {
    progress(`scenario ${i + 1} of ${scenarios.length}`);
    for (const path of paths) byPath.get(path.kind)!.push(await measure(path, () => scenario(path)));
  }
  return [...byPath.values()].flat();
}

async function benchDeployed(url: string, token: string): Promise<Pick<Report, "runs" | "backend">> {
  const worker = new WorkerTarget(url, token, timeoutMs);
  const observer: Observer = {
    countRows: async (prefix) => (await worker.listIds()).filter((id) => id.startsWith(prefix)).length,
    stats: null,
  };
  return { runs: await measureAllScenarios([{ kind: "worker", target: worker, observer, processes: null }]), backend: "remote (not observed)" };
}

/** Our worker's CPU profile under a read and create load, top entries by self time. */
async function profileUnderLoad(inspector: Inspector, target: WorkerTarget, idPrefix: string) {
  const ids = Array.from({ length: Math.max(200, Math.round(1500 * scale)) }, (_, i) => `${idPrefix}${i}`);
  const profile = await inspector.profile(async () => {
    await inPool(ids, sizes.concurrency, (id) => target.create({ id, name: `Profiled ${id}` }));
    await inPool(ids, sizes.concurrency, (id) => target.read(id));
  });
  return topFunctions(profile, 15, locatorOfDevBundle("src/index.ts"));
}

/**
 * On PostgreSQL, `work` gets a database of the run's own, created beside the one DATABASE_URL names and
 * dropped afterwards; without DATABASE_URL, null (the gateway's embedded PGlite).
 */
async function inBenchDatabase<R>(work: (database: ScratchDatabase | null) => Promise<R>): Promise<R> {
  const serverUrl = process.env.DATABASE_URL;
  const database = serverUrl ? await createScratchDatabase(serverUrl, `clients_bench_${runTag}`) : null;
  try {
    return await work(database);
  } finally {
    await database?.drop();
  }
}

type LocalFigures = Pick<Report, "runs" | "backend" | "startup" | "soak" | "growth" | "loadProfile" | "conditional" | "live">;

async function benchLocal(): Promise<LocalFigures> {
  // Before anything else runs: start-up profiles are the figures most easily disturbed.
  progress("start-up profiles (wrangler check startup)");
  const [ours, floor] = await compareStartup([OUR_CONFIG, FLOOR_CONFIG], Math.max(1, Math.round(5 * scale)));
  const startup = { ours: ours!, floor: floor!, ratio: ours!.medianMs / floor!.medianMs };

  return inBenchDatabase(async (database) => {
    const jwtSecret = randomBytes(32).toString("base64url");
    progress(`starting the gateway and both workers${database ? " on a database of the run's own" : ""}`);
    const stack = await startLocalStack(jwtSecret, database?.url);
    try {
      const driver = connectDriver(stack.gateway.url, stack.databaseUrl, timeoutMs);
      const stats = () => stack.gateway.stats();
      const userOf = (path: PathKind) => `bench-${runTag}-${path}`;
      const observerOf = (path: PathKind): Observer => ({ countRows: (prefix) => driver.countRows(userOf(path), prefix), stats });
      const ourTarget = new WorkerTarget(stack.ours.url, await signDevToken(userOf("worker"), jwtSecret), timeoutMs);
      const paths: Path[] = [
        { kind: "worker", target: ourTarget, observer: observerOf("worker"), processes: stack.ours.processes },
        // The floor takes the bearer token as the user id: it checks nothing.
        { kind: "floor", target: new WorkerTarget(stack.floor.url, userOf("floor"), timeoutMs), observer: observerOf("floor"), processes: stack.floor.processes },
        { kind: "node-driver", target: driver.raceSafeTarget(userOf("node-driver")), observer: observerOf("node-driver"), processes: null },
      ];
      const runs = await measureAllScenarios(paths);
      const naive: Path = { kind: "check-then-insert", target: driver.checkThenInsertTarget(userOf("check-then-insert")), observer: observerOf("check-then-insert"), processes: null };
      runs.push(await measure(naive, () => chatBursts(naive.target, `${prefixOf(naive)}burst-`, sizes)));
      progress("conditional requests and idempotency keys");
      const conditional = await conditionalRequests(ourTarget, stats, `${runTag}-conditional-`, {
        count: Math.max(20, Math.round(500 * scale)),
        concurrency: sizes.concurrency,
      });
      progress("live updates: fan-out to open sockets, round trips per write");
      const live = await measureLive(stack, jwtSecret);

      const inspector = await Inspector.connect(stack.ours.inspectorPort);
      try {
        const cpuMissed = overheadOf(runs).some((o) => (o.scenario === "reads" || o.scenario === "distinct") && (o.cpuRatio ?? 0) > CPU_TARGET);
        if (cpuMissed) progress("CPU target missed: profiling our worker under load");
        const loadProfile = cpuMissed ? await profileUnderLoad(inspector, ourTarget, `${runTag}-profiled-`) : null;
        progress("soak");
        const soaked = await soak(ourTarget, inspector, `${runTag}-soak-`, soakSizesFor(scale));
        const heavyUser = userOf("worker");
        if (database) progress("growth with data");
        const grown = database
          ? await growth(database.url, ourTarget, heavyUser, `${runTag}-growth-`, growthSizesFor(scale))
          : { skipped: "needs PostgreSQL: set DATABASE_URL" };
        return { runs, backend: stack.gateway.backend, startup, soak: soaked, growth: grown, loadProfile, conditional, live };
      } finally {
        inspector.close();
      }
    } finally {
      await stack.close();
    }
  });
}

const machine = () =>
  `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "unknown"}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${type()} ${release()}`;

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

async function endToEnd(): Promise<void> {
  const figures: LocalFigures = args.url
    ? { ...(await benchDeployed(args.url, args.token!)), startup: null, soak: null, growth: null, loadProfile: null, conditional: null, live: null }
    : await benchLocal();

  const overhead = overheadOf(figures.runs);
  const { growth: grown, soak: soaked } = figures;
  const report: Report = {
    startedAt: startedAt.toISOString(),
    commit: commit(),
    node: process.version,
    cpus: availableParallelism(),
    machine: machine(),
    target: args.url ?? "local workers (wrangler's local runtime)",
    scale,
    ...figures,
    overhead,
    targets: targetsOf({ ...figures, overhead }),
    checkThenInsert: checkThenInsertFigures(figures.runs),
    // The check-then-insert path is there to fail; its failures are the measurement, not a fault.
    passed:
      figures.runs.every((run) => run.path === "check-then-insert" || run.failures.length === 0) &&
      (soaked?.failures.length ?? 0) === 0 &&
      (figures.conditional ?? []).every((run) => run.failures.length === 0) &&
      (figures.live === null || livePassed(figures.live)) &&
      !(grown && "failures" in grown && grown.failures.length > 0),
  };
  const outPath = args.out ?? `bench/results/bench-${fileStamp}-${report.backend.split(" ")[0]}.json`;
  writeJson(outPath, report);
  console.log(renderTable(report));
  console.log(renderSummary(report));
  console.log(`JSON: ${outPath}`);
  process.exitCode = report.passed ? 0 : 1;
}

async function cpuOnly(): Promise<void> {
  const requests = Number(args.requests);
  const repeats = Number(args.repeats);
  if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(repeats) || repeats < 1) {
    throw new Error("--requests and --repeats must be positive whole numbers");
  }
  const cpu = await inBenchDatabase((database) =>
    measureCpu({ requests, repeats, backendUrl: database?.url, profile: args.profile, localPlatform: args["local-platform"], log: progress }),
  );
  const outPath = args.out ?? `bench/results/cpu-${fileStamp}.json`;
  const loadAverage = loadavg();
  writeJson(outPath, { startedAt: startedAt.toISOString(), commit: commit(), machine: machine(), loadAverage, ...cpu });
  console.log(renderCpu(cpu));
  console.log(`${machine()}; load average at the end ${load(loadAverage)}`);
  console.log(`JSON: ${outPath}`);
}

const load = (averages: number[]) => averages.map((n) => n.toFixed(2)).join(" ");

/** `--live-only`: the live measure alone, on a stack of its own (a minute or two, against the full run's half hour). */
async function liveOnly(): Promise<void> {
  const loadBefore = loadavg();
  const live = await inBenchDatabase(async (database) => {
    const jwtSecret = randomBytes(32).toString("base64url");
    progress(`starting the gateway and the workers${database ? " on a database of the run's own" : ""}`);
    const stack = await startLocalStack(jwtSecret, database?.url);
    try {
      progress("live updates: fan-out to open sockets, round trips per write");
      return { backend: stack.gateway.backend, ...(await measureLive(stack, jwtSecret)) };
    } finally {
      await stack.close();
    }
  });
  const loadAverage = { before: loadBefore, after: loadavg() };
  const outPath = args.out ?? `bench/results/live-${fileStamp}.json`;
  writeJson(outPath, { startedAt: startedAt.toISOString(), commit: commit(), machine: machine(), node: process.version, scale, loadAverage, ...live });
  console.log(renderLive(live));
  console.log(`backend: ${live.backend}; ${machine()}; node ${process.version}; load average ${load(loadAverage.before)} before, ${load(loadAverage.after)} after`);
  console.log(`JSON: ${outPath}`);
  const passed = livePassed(live);
  console.log(passed ? "PASS" : "FAIL");
  process.exitCode = passed ? 0 : 1;
}

/** `--startup-only`: start-up alone, `--repeats` times each (default 5), with where its time goes next to the floor's. */
async function startupOnly(): Promise<void> {
  const loadBefore = loadavg();
  progress("start-up profiles (wrangler check startup)");
  const [ours, floor] = await compareStartup([OUR_CONFIG, FLOOR_CONFIG], Number(args.repeats));
  const spread = ({ runs, medianMs }: Startup) => `${(((Math.max(...runs) - Math.min(...runs)) / medianMs) * 100).toFixed(1)}%`;
  const loadAverage = { before: loadBefore, after: loadavg() };
  const outPath = args.out ?? `bench/results/startup-${fileStamp}.json`;
  writeJson(outPath, { startedAt: startedAt.toISOString(), commit: commit(), machine: machine(), loadAverage, ours, floor });
  console.log(`start-up, busy ms, median of ${ours!.runs.length}: ours ${ours!.medianMs.toFixed(1)} (spread ${spread(ours!)}), floor ${floor!.medianMs.toFixed(1)} (spread ${spread(floor!)}), ratio ${(ours!.medianMs / floor!.medianMs).toFixed(2)}x`);
  console.log(renderStartupParts(ours!, floor!));
  console.log(`${machine()}; load average ${load(loadAverage.before)} before, ${load(loadAverage.after)} after`);
  console.log(`JSON: ${outPath}`);
}

await (args.cpu ? cpuOnly() : args["live-only"] ? liveOnly() : args["startup-only"] ? startupOnly() : endToEnd());
