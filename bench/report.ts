// Terminal tables and JSON files for the benchmark's runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { GROWTH_OPERATIONS, type Growth } from "./growth";
import type { ProfileEntry } from "./inspector";
import type { Live } from "./live";
import type { RoundTripRun } from "./round-trips";
import { SCENARIO_TITLES, type ScenarioKey, type ScenarioRun } from "./scenarios";
import type { Soak } from "./soak";
import type { Startup } from "./startup";

export type PathKind = "worker" | "floor" | "node-driver" | "check-then-insert";

export const PATH_TITLES: Record<PathKind, string> = {
  worker: "our worker",
  floor: "floor worker",
  "node-driver": "driver from Node (no runtime)",
  "check-then-insert": "check, then insert (driver)",
};

/** CPU time of the runtime processes per request, in milliseconds: the worker's process and wrangler's proxy. */
export type CpuPerRequest = { worker: number; proxy: number };

export type Measured = ScenarioRun & {
  path: PathKind;
  /** Rows in the database under the scenario's ids afterwards (null: not counted). */
  rows: number | null;
  /** Gateway HTTP requests (database round trips) and statements per API request (null: no gateway in reach). */
  roundTripsPerRequest: number | null;
  statementsPerRequest: Record<string, number> | null;
  /** Null for paths that do not run in a local runtime. */
  cpuPerRequest: CpuPerRequest | null;
  /** Reasons the scenario failed; for the "check, then insert" path these are the measured failures. */
  failures: string[];
};

/** Our worker against the floor worker in one scenario. */
export type Overhead = { scenario: ScenarioKey; p50Ratio: number; p99Ratio: number; cpuRatio: number | null; runtimeCpuRatio: number | null };

export type Target = { name: string; value: number | null; limit: string; met: boolean };

export type Report = {
  startedAt: string;
  commit: string | null;
  node: string;
  cpus: number;
  machine: string;
  backend: string;
  target: string;
  scale: number;
  runs: Measured[];
  overhead: Overhead[];
  startup: { ours: Startup; floor: Startup; ratio: number } | null;
  soak: Soak | null;
  growth: Growth | { skipped: string } | null;
  /** Where our worker spends its CPU under load; taken when a CPU target is missed. */
  loadProfile: ProfileEntry[] | null;
  targets: Target[];
  checkThenInsert: { requests: number; failed: number; failureRate: number; idsWithAFailure: number } | null;
  /** Conditional requests and idempotency keys through our worker (local runs only). */
  conditional: RoundTripRun[] | null;
  /** Live updates' fan-out and the writes' round trips (local runs only). */
  live: Live | null;
  passed: boolean;
};

export const CPU_TARGET = 1.25;
export const STARTUP_TARGET = 1.5;
export const GROWTH_TARGET = 1.5;

const fixed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));
const ratio = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? "" : `${n.toFixed(2)}x`);
/** "3x200 1x201": how many answers had each status. */
const statusCounts = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${n}x${status}`)
    .join(" ");

export function overheadOf(runs: readonly Measured[]): Overhead[] {
  return runs
    .filter((run) => run.path === "worker")
    .flatMap((ours) => {
      const floor = runs.find((run) => run.path === "floor" && run.scenario === ours.scenario);
      if (!floor) return [];
      const [a, b] = [ours.cpuPerRequest, floor.cpuPerRequest];
      return [{
        scenario: ours.scenario,
        p50Ratio: ours.latency.p50 / floor.latency.p50,
        p99Ratio: ours.latency.p99 / floor.latency.p99,
        cpuRatio: a && b ? a.worker / b.worker : null,
        runtimeCpuRatio: a && b ? (a.worker + a.proxy) / (b.worker + b.proxy) : null,
      }];
    });
}

export function targetsOf(report: Pick<Report, "overhead" | "startup" | "soak" | "growth">): Target[] {
  const targets: Target[] = [];
  const cpu = (scenario: ScenarioKey, name: string) => {
    const value = report.overhead.find((o) => o.scenario === scenario)?.cpuRatio ?? null;
    if (value !== null) targets.push({ name, value, limit: `<= ${CPU_TARGET}x floor`, met: value <= CPU_TARGET });
  };
  cpu("reads", "CPU per read (scenario 4)");
  cpu("distinct", "CPU per create (scenario 3)");
  if (report.startup) {
    const value = report.startup.ratio;
    targets.push({ name: "start-up", value, limit: `<= ${STARTUP_TARGET}x floor`, met: value <= STARTUP_TARGET });
  }
  if (report.soak) targets.push({ name: "heap over the soak", value: null, limit: "flat", met: !report.soak.growing });
  if (report.growth && "ratios" in report.growth) {
    for (const op of GROWTH_OPERATIONS) {
      const value = report.growth.ratios[op];
      targets.push({ name: `growth, ${op}`, value, limit: `<= ${GROWTH_TARGET}x smallest`, met: value <= GROWTH_TARGET });
    }
  }
  return targets;
}

/** A Markdown table with its columns padded to their widest cell. */
export function table(header: string[], body: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const rule = `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`;
  return [line(header), rule, ...body.map(line)].join("\n");
}

export function renderTable(report: Report): string {
  const header = ["scenario", "path", "requests", "statuses", "rows", "db trips/req", "p50 ms", "p99 ms", "req/s", "cpu ms/req", "p50 vs floor", "p99 vs floor", "cpu vs floor"];
  const body = report.runs.map((run) => {
    const overhead = run.path === "worker" ? report.overhead.find((o) => o.scenario === run.scenario) : undefined;
    const statuses = statusCounts(run.statuses);
    return [
      SCENARIO_TITLES[run.scenario],
      PATH_TITLES[run.path],
      String(run.requests),
      statuses,
      run.rows === null ? "-" : `${run.rows}/${run.expectedRows}`,
      fixed(run.roundTripsPerRequest, 2),
      fixed(run.latency.p50),
      fixed(run.latency.p99),
      fixed(run.requestsPerSecond, 0),
      run.cpuPerRequest ? `${fixed(run.cpuPerRequest.worker, 2)} (+${fixed(run.cpuPerRequest.proxy, 2)})` : "-",
      ratio(overhead?.p50Ratio),
      ratio(overhead?.p99Ratio),
      ratio(overhead?.cpuRatio),
    ];
  });
  return table(header, body);
}

function renderGrowth(growth: Growth): string {
  const header = ["rows", "heavy user's rows", "fill s", ...GROWTH_OPERATIONS.map((op) => `${op} p50 ms`)];
  const body = growth.steps.map((step) => [
    step.rows.toLocaleString("en"),
    step.heavyUserRows.toLocaleString("en"),
    fixed(step.fillMs / 1000),
    ...GROWTH_OPERATIONS.map((op) => fixed(step.p50[op])),
  ]);
  body.push(["largest / smallest", "", "", ...GROWTH_OPERATIONS.map((op) => ratio(growth.ratios[op]))]);
  return table(header, body);
}

/** One line per run: its statuses, round trips against the docs' figure, latency and why it failed. */
function roundTripLine(run: RoundTripRun): string {
  return (
    `  ${run.scenario.padEnd(32)} ${statusCounts(run.statuses).padEnd(10)} db trips/req ${fixed(run.roundTripsPerRequest, 2)} (docs: ${run.expectedRoundTrips}), ` +
    `p50 ${fixed(run.latency.p50)} ms, p99 ${fixed(run.latency.p99)} ms${run.failures.length ? ` FAILED: ${run.failures.join("; ")}` : ""}`
  );
}

export function renderLive(live: Live): string {
  const header = [
    "open sockets",
    "creates",
    "statuses",
    "create p50 ms",
    "p99 ms",
    "201 -> last socket p50 ms",
    "p99 ms",
    "201 -> each socket p50 ms",
    "p99 ms",
    "sent -> last socket p50 ms",
    "p99 ms",
  ];
  const body = live.fanOut.map((run) => [
    String(run.sockets),
    String(run.creates),
    statusCounts(run.statuses),
    fixed(run.create.p50),
    fixed(run.create.p99),
    fixed(run.toLastSocket.p50),
    fixed(run.toLastSocket.p99),
    fixed(run.toEachSocket.p50),
    fixed(run.toEachSocket.p99),
    fixed(run.sentToLastSocket.p50),
    fixed(run.sentToLastSocket.p99),
  ]);
  const lines = [
    "live updates (our worker): creates one at a time; the change message on the user's sockets, timed from the client having the 201" +
      " (negative: the message came first) and from the create being sent:",
    table(header, body),
  ];
  lines.push("database round trips per write, change log included (gateway's counters), one user with one socket, one at a time:");
  lines.push(...live.writes.map(roundTripLine));
  lines.push("the sockets' round trips, made by the user's Durable Object (its watched mark):", ...live.sockets.map(roundTripLine));
  lines.push(
    "Durable Object: one request to the user's UserFeed per committed write (a 201 create, an update, a delete) while the user has a socket open," +
      " none without (src/http/publish-change.ts); one per socket opened.",
  );
  for (const run of live.fanOut) lines.push(...run.failures.map((failure) => `FAILED live, ${run.sockets} sockets: ${failure}`));
  return lines.join("\n");
}

/** Whether the live measure passed: every message arrived, every status and round-trip count as stated. */
export const livePassed = (live: Live) => [...live.fanOut, ...live.writes, ...live.sockets].every((run) => run.failures.length === 0);

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

export function renderSummary(report: Report): string {
  const lines = [`backend: ${report.backend}; target: ${report.target}; scale ${report.scale}; ${report.machine}; node ${report.node}`];
  lines.push("cpu ms/req: the worker's workerd process (+ wrangler's proxy process in front of it), from /proc.");
  const { startup, soak, growth } = report;
  if (startup) {
    lines.push(
      `start-up (wrangler check startup, busy ms, median of ${startup.ours.runs.length}): ours ${fixed(startup.ours.medianMs)}, ` +
        `floor ${fixed(startup.floor.medianMs)}, ratio ${ratio(startup.ratio)}`,
    );
  }
  if (soak) {
    lines.push(
      `soak: ${soak.rounds} rounds of ${soak.requestsPerRound} requests; heap after GC (MiB): ${soak.heapBytes.map(mib).join(" -> ")}` +
        (soak.growing ? " GROWING" : " flat"),
    );
  }
  if (growth && "skipped" in growth) lines.push(`growth with data: skipped (${growth.skipped})`);
  else if (growth) lines.push("growth with data (our worker, one request at a time, heavy user's list pages of 20):", renderGrowth(growth));
  const cti = report.checkThenInsert;
  if (cti) {
    lines.push(
      `"check, then insert" through the driver: ${cti.failed} of ${cti.requests} requests failed ` +
        `(${(cti.failureRate * 100).toFixed(1)}%, a 500 each in an API built that way); ${cti.idsWithAFailure} ids hit.`,
    );
  }
  if (report.conditional) lines.push("conditional requests and idempotency keys (our worker):", ...report.conditional.map(roundTripLine));
  if (report.live) lines.push(renderLive(report.live));
  lines.push("targets:");
  for (const target of report.targets) {
    lines.push(`  ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.value === null ? "" : ratio(target.value)} (${target.limit})`);
  }
  const profile = (title: string, entries: readonly ProfileEntry[]) => {
    lines.push(title, ...entries.map((e) => `  ${fixed(e.selfMs).padStart(8)} ms ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.function}`));
  };
  if (report.loadProfile) profile("our worker under load, self time (CPU target missed):", report.loadProfile);
  if (startup && startup.ratio > STARTUP_TARGET) profile("our start-up, self time (start-up target missed):", startup.ours.top);
  for (const run of report.runs.filter((r) => r.path !== "check-then-insert" && r.failures.length > 0)) {
    lines.push(`FAILED ${PATH_TITLES[run.path]} ${SCENARIO_TITLES[run.scenario]}:`, ...run.failures.map((failure) => `  - ${failure}`));
  }
  for (const failure of [...(soak?.failures ?? []), ...(growth && "failures" in growth ? growth.failures : [])]) lines.push(`FAILED ${failure}`);
  lines.push(report.passed ? "PASS" : "FAIL");
  return lines.join("\n");
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
