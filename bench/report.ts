// Terminal table and JSON file for a benchmark run.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SCENARIO_TITLES, type ScenarioKey, type ScenarioRun } from "./scenarios";

export type PathKind = "worker" | "driver" | "check-then-insert";

export type Measured = ScenarioRun & {
  path: PathKind;
  /** Rows in the database under the scenario's ids afterwards (null: not counted). */
  rows: number | null;
  /** Gateway HTTP requests (database round trips) and statements per API request (null: no gateway in reach). */
  roundTripsPerRequest: number | null;
  statementsPerRequest: Record<string, number> | null;
  /** Reasons the scenario failed; for the "check, then insert" path these are the measured failures. */
  failures: string[];
};

export type Overhead = { scenario: ScenarioKey; p50Ratio: number; p99Ratio: number; throughputRatio: number };

export type Report = {
  startedAt: string;
  commit: string | null;
  node: string;
  cpus: number;
  backend: string;
  target: string;
  scale: number;
  runs: Measured[];
  overhead: Overhead[];
  checkThenInsert: { requests: number; failed: number; failureRate: number; idsWithAFailure: number } | null;
  passed: boolean;
};

const fixed = (n: number | null, digits = 1) => (n === null || Number.isNaN(n) ? "-" : n.toFixed(digits));

export function overheadOf(runs: readonly Measured[]): Overhead[] {
  return runs
    .filter((run) => run.path === "worker")
    .flatMap((worker) => {
      const driver = runs.find((run) => run.path === "driver" && run.scenario === worker.scenario);
      if (!driver) return [];
      return [{
        scenario: worker.scenario,
        p50Ratio: worker.latency.p50 / driver.latency.p50,
        p99Ratio: worker.latency.p99 / driver.latency.p99,
        throughputRatio: driver.requestsPerSecond / worker.requestsPerSecond,
      }];
    });
}

export function renderTable(report: Report): string {
  const header = ["scenario", "path", "requests", "statuses", "rows", "db trips/req", "p50 ms", "p95 ms", "p99 ms", "req/s", "p50 vs driver"];
  const body = report.runs.map((run) => {
    const ratio = run.path === "worker" ? report.overhead.find((o) => o.scenario === run.scenario)?.p50Ratio : undefined;
    const statuses = Object.entries(run.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([status, n]) => `${n}x${status}`).join(" ");
    return [
      SCENARIO_TITLES[run.scenario],
      run.path,
      String(run.requests),
      statuses,
      run.rows === null ? "-" : `${run.rows}/${run.expectedRows}`,
      fixed(run.roundTripsPerRequest, 2),
      fixed(run.latency.p50),
      fixed(run.latency.p95),
      fixed(run.latency.p99),
      fixed(run.requestsPerSecond, 0),
      ratio === undefined ? "" : `${ratio.toFixed(2)}x`,
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const rule = `|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`;
  return [line(header), rule, ...body.map(line)].join("\n");
}

export function renderSummary(report: Report): string {
  const lines = [`backend: ${report.backend}; target: ${report.target}; scale ${report.scale}; ${report.cpus} cpus; node ${report.node}`];
  const cti = report.checkThenInsert;
  if (cti) {
    lines.push(
      `"check, then insert" through the driver: ${cti.failed} of ${cti.requests} requests failed ` +
        `(${(cti.failureRate * 100).toFixed(1)}%, a 500 each in an API built that way); ${cti.idsWithAFailure} ids hit.`,
    );
  }
  for (const run of report.runs.filter((r) => r.path !== "check-then-insert" && r.failures.length > 0)) {
    lines.push(`FAILED ${run.path} ${SCENARIO_TITLES[run.scenario]}:`, ...run.failures.map((failure) => `  - ${failure}`));
  }
  lines.push(report.passed ? "PASS" : "FAIL");
  return lines.join("\n");
}

export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
