// `npm run bench -- --cpu`: CPU per request of our worker's handler and the floor worker's, each in an
// isolate of its own under wrangler's local workerd, with the database's answers recorded once from the
// real gateway and replayed from memory (bench/cpu/isolate/harness.ts). The figure is the worker process's
// user + system time (/proc/<pid>/stat) over a run of N requests, repeated; the two workers take turns,
// so that a busy moment on the machine falls on both alike.
import { randomBytes } from "node:crypto";
import { sign } from "hono/jwt";
import { Inspector, partsOf, topFunctions, type PartEntry, type ProfileEntry } from "../inspector";
import { cpuMs } from "../runtime";
import { table } from "../report";
import { locatorOfDevBundle } from "../sourcemap";
import { startLocalStack, type LocalWorker } from "../stack";
import { WORKLOADS, type WorkloadName } from "./workloads";

export type CpuOptions = {
  requests: number;
  repeats: number;
  backendUrl?: string;
  profile: boolean;
  /** wrangler's simulated rate limiter and console instead of in-memory ones (see the harness). */
  localPlatform: boolean;
  log(step: string): void;
};

const SIDES = ["ours", "floor"] as const;
type Side = (typeof SIDES)[number];

export type WorkloadCpu = {
  workload: WorkloadName;
  requests: number;
  /** µs of CPU per request, one entry per repeat. */
  oursUs: number[];
  floorUs: number[];
  ours: Summary;
  floor: Summary;
  /** Median of ours over median of the floor's. */
  ratio: number;
  /** Spread of ours / floor taken repeat by repeat. */
  ratioSpread: number;
};

/** Median of the repeats, and their spread: (max - min) / median. */
export type Summary = { medianUs: number; spread: number };

export type CpuReport = {
  workloads: WorkloadCpu[];
  /** Our worker's replayed reads and creates, profiled through the inspector. */
  profile: { parts: PartEntry[]; top: ProfileEntry[] } | null;
};

const WARM_UP_REQUESTS = 2000;
const CHUNKS = 8;
const PROFILED: WorkloadName[] = ["read", "create"];

function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const medianUs = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianUs, spread: (sorted.at(-1)! - sorted[0]!) / medianUs };
}

async function control<T>(worker: LocalWorker, path: string, params: Record<string, string>): Promise<T> {
  const response = await fetch(`${worker.url}/__cpu/${path}?${new URLSearchParams(params)}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} ${JSON.stringify(params)}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** `n` replayed requests of one workload, each answered with the workload's status. */
async function replay(worker: LocalWorker, workload: WorkloadName, n: number, platform: string): Promise<void> {
  const { statuses } = await control<{ statuses: Record<string, number> }>(worker, "replay", { workload, n: String(n), platform });
  const expected = WORKLOADS[workload].status;
  if (statuses[expected] !== n) throw new Error(`${workload}: expected ${n}x${expected}, got ${JSON.stringify(statuses)}`);
}

/**
 * One repeat: `n` requests on each worker, in CHUNKS turns each, so that a change in the machine's load
 * falls on both alike. Each worker process is idle while the other works, so its CPU time from the
 * start to the end of the repeat is its own requests' (and /proc's 10 ms ticks are read twice, not per turn).
 */
async function repeatBoth(workers: Record<Side, LocalWorker>, workload: WorkloadName, n: number, platform: string): Promise<Record<Side, number>> {
  const before = { ours: cpuMs(workers.ours.processes).worker, floor: cpuMs(workers.floor.processes).worker };
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    const size = Math.floor((n * (chunk + 1)) / CHUNKS) - Math.floor((n * chunk) / CHUNKS);
    for (const side of SIDES) await replay(workers[side], workload, size, platform);
  }
  const perRequestUs = (side: Side) => ((cpuMs(workers[side].processes).worker - before[side]) * 1000) / n;
  return { ours: perRequestUs("ours"), floor: perRequestUs("floor") };
}

export async function measureCpu(options: CpuOptions): Promise<CpuReport> {
  const { requests, repeats, log } = options;
  const platform = options.localPlatform ? "local" : "memory";
  const runTag = randomBytes(4).toString("hex");
  const jwtSecret = randomBytes(32).toString("base64url");
  log("starting the gateway and both workers under the CPU harness");
  const stack = await startLocalStack(jwtSecret, options.backendUrl, { ours: "bench/cpu/isolate/ours.ts", floor: "bench/cpu/isolate/floor.ts" });
  try {
    const workers: Record<Side, LocalWorker> = { ours: stack.ours, floor: stack.floor };

    const now = Math.floor(Date.now() / 1000);
    const ourUser = `cpu-${runTag}-ours`;
    const tokens: Record<Side, string> = {
      ours: await sign({ sub: ourUser, iat: now, exp: now + 24 * 3600 }, jwtSecret, "HS256"),
      // The floor takes the bearer token as the user id.
      floor: `cpu-${runTag}-floor`,
    };
    log("recording the database's answers from the gateway");
    for (const side of SIDES) {
      await control(workers[side], "record", { token: tokens[side], prefix: `${runTag}-` });
    }

    const names = Object.keys(WORKLOADS) as WorkloadName[];
    log(`warm-up: ${WARM_UP_REQUESTS} requests of each workload on each worker`);
    for (const name of names) {
      const us = await repeatBoth(workers, name, WARM_UP_REQUESTS, platform);
      log(`  ${name}: ours ${us.ours.toFixed(0)} µs/req, floor ${us.floor.toFixed(0)} µs/req`);
    }

    const results: WorkloadCpu[] = [];
    for (const name of names) {
      log(`${name}: ${repeats} repeats of ${requests} requests on each worker`);
      const us: Record<Side, number[]> = { ours: [], floor: [] };
      for (let repeat = 0; repeat < repeats; repeat++) {
        const figures = await repeatBoth(workers, name, requests, platform);
        for (const side of SIDES) us[side].push(figures[side]);
        log(`  repeat ${repeat + 1}: ours ${figures.ours.toFixed(0)} µs/req, floor ${figures.floor.toFixed(0)} µs/req`);
      }
      const ours = summarize(us.ours);
      const floor = summarize(us.floor);
      const ratios = summarize(us.ours.map((value, i) => value / us.floor[i]!));
      results.push({ workload: name, requests, oursUs: us.ours, floorUs: us.floor, ours, floor, ratio: ours.medianUs / floor.medianUs, ratioSpread: ratios.spread });
    }

    let profile: CpuReport["profile"] = null;
    if (options.profile) {
      log(`profiling our worker: ${PROFILED.join(", ")}`);
      const inspector = await Inspector.connect(workers.ours.inspectorPort);
      try {
        const taken = await inspector.profile(async () => {
          for (const name of PROFILED) await replay(workers.ours, name, requests, platform);
        });
        const locate = locatorOfDevBundle("bench/cpu/isolate/ours.ts");
        if (!locate) throw new Error("no source map for bench/cpu/isolate/ours.ts in .wrangler/tmp");
        profile = { parts: partsOf(taken, locate), top: topFunctions(taken, 25, locate) };
      } finally {
        inspector.close();
      }
    }
    return { workloads: results, profile };
  } finally {
    await stack.close();
  }
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export function renderCpu(report: CpuReport): string {
  const header = ["workload", "requests", "ours µs/req", "spread", "floor µs/req", "spread", "ours / floor", "spread"];
  const rows = report.workloads.map((w) => [
    WORKLOADS[w.workload].title,
    String(w.requests),
    w.ours.medianUs.toFixed(0),
    percent(w.ours.spread),
    w.floor.medianUs.toFixed(0),
    percent(w.floor.spread),
    `${w.ratio.toFixed(2)}x`,
    percent(w.ratioSpread),
  ]);
  const lines = [
    table(header, rows),
    "µs/req: median over the repeats of the worker process's CPU time per request; spread: (max - min) / median; " +
      "the ratio's spread is of ours / floor repeat by repeat.",
  ];
  if (report.profile) {
    lines.push(`our worker's profile (${PROFILED.join(" + ")}), busy time by part of the stack (runtime calls count for their caller):`);
    for (const entry of report.profile.parts.slice(0, 15)) lines.push(`  ${percent(entry.share).padStart(6)}  ${entry.part}`);
    lines.push("top functions by self time:");
    for (const entry of report.profile.top) lines.push(`  ${percent(entry.share).padStart(6)}  ${entry.function}`);
  }
  return lines.join("\n");
}
