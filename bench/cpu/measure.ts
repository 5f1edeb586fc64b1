// `npm run bench -- --cpu`: CPU per request of our worker's handler and the floor worker's, each in an
// isolate of its own under wrangler's local workerd, with the database's answers recorded once from the
// real gateway and replayed from memory (bench/cpu/isolate/harness.ts). The figure is the CPU time of the
// workerd thread that runs the isolate (schedstat, in ns) over a turn of requests; V8's background threads
// (compiler, concurrent GC) are reported beside it. Workloads and workers take turns within each repeat,
// so that the JIT sees the same mix throughout and a busy moment on the machine falls on all alike.
import { randomBytes } from "node:crypto";
import { sign } from "hono/jwt";
import { Inspector, partsOf, topFunctions, type PartEntry, type ProfileEntry } from "../inspector";
import { threadsCpuNs } from "../runtime";
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
  /** µs of the isolate thread's CPU per request, one entry per repeat. */
  oursUs: number[];
  floorUs: number[];
  ours: Summary;
  floor: Summary;
  /** Ours over the floor's, turn by turn: the median turn's in each repeat, median over the repeats. */
  ratio: number;
  /** The ratio's spread over the repeats. */
  ratioSpread: number;
  /** The isolate thread's µs per request over all turns, the rare costly ones included: median over the repeats. */
  meanUs: Record<Side, number>;
  /** µs per request of the process's other threads (V8's compiler and concurrent GC), median over the repeats. */
  backgroundUs: Record<Side, number>;
};

/** Median of the repeats, and their spread: (max - min) / median. */
export type Summary = { medianUs: number; spread: number };

export type CpuReport = {
  workloads: WorkloadCpu[];
  /** Our worker's replayed reads and creates, profiled through the inspector. */
  profile: { parts: PartEntry[]; top: ProfileEntry[] } | null;
};

/** Each repeat gives each workload's requests on each worker in this many turns. */
const TURNS = 50;
const PROFILED: WorkloadName[] = ["read", "create"];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(values: readonly number[]): Summary {
  const medianUs = median(values);
  return { medianUs, spread: (Math.max(...values) - Math.min(...values)) / medianUs };
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

/** One worker's figures for one workload over one repeat, in µs per request. */
type Figure = {
  /** The isolate thread's CPU in each turn. */
  turnsUs: number[];
  /** The isolate thread's CPU in the median turn. */
  isolateUs: number;
  /** The isolate thread's CPU over all turns together, the rare costly ones included. */
  isolateMeanUs: number;
  /** The process's other threads over all turns together. */
  backgroundUs: number;
};
type Figures = Record<WorkloadName, Record<Side, Figure>>;

/**
 * One repeat: `n` requests of every workload on each worker, in TURNS turns each: workload after workload,
 * ours then the floor's. Each turn's CPU is read around it, from the worker's threads alone (the other
 * worker and this process wait meanwhile); the one control request that starts a turn counts with it.
 */
async function repeatAll(workers: Record<Side, LocalWorker>, names: readonly WorkloadName[], n: number, platform: string): Promise<Figures> {
  const turns = names.flatMap((name) => SIDES.map((side) => ({ name, side, isolateUs: [] as number[], isolateNs: 0, othersNs: 0 })));
  for (let turn = 0; turn < TURNS; turn++) {
    const size = Math.floor((n * (turn + 1)) / TURNS) - Math.floor((n * turn) / TURNS);
    for (const taken of turns) {
      const pid = workers[taken.side].processes.worker;
      const before = threadsCpuNs(pid);
      await replay(workers[taken.side], taken.name, size, platform);
      const after = threadsCpuNs(pid);
      taken.isolateUs.push((after.main - before.main) / 1000 / size);
      taken.isolateNs += after.main - before.main;
      taken.othersNs += after.others - before.others;
    }
  }
  const figures = Object.fromEntries(names.map((name) => [name, {}])) as Figures;
  for (const { name, side, isolateUs, isolateNs, othersNs } of turns) {
    figures[name][side] = { turnsUs: isolateUs, isolateUs: median(isolateUs), isolateMeanUs: isolateNs / 1000 / n, backgroundUs: othersNs / 1000 / n };
  }
  return figures;
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
    const logFigures = (label: string, figures: Figures) => {
      for (const name of names) {
        const { ours, floor } = figures[name];
        const figure = (f: Figure) => `${f.isolateUs.toFixed(1)} (all turns ${f.isolateMeanUs.toFixed(1)}, background ${f.backgroundUs.toFixed(1)})`;
        log(`  ${label} ${name}: ours ${figure(ours)}, floor ${figure(floor)} µs/req`);
      }
    };
    // One repeat first, not counted, so that the JIT has settled on the mix before anything counts.
    log(`warm-up: ${requests} requests of each workload on each worker`);
    logFigures("warm-up", await repeatAll(workers, names, requests, platform));

    const repeatsTaken: Figures[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      log(`repeat ${repeat + 1} of ${repeats}: ${requests} requests of each workload on each worker`);
      const figures = await repeatAll(workers, names, requests, platform);
      logFigures(`repeat ${repeat + 1}`, figures);
      repeatsTaken.push(figures);
    }
    const results: WorkloadCpu[] = names.map((name) => {
      const us = (side: Side) => repeatsTaken.map((figures) => figures[name][side].isolateUs);
      const medianOf = (side: Side, pick: (figure: Figure) => number) => median(repeatsTaken.map((figures) => pick(figures[name][side])));
      const ours = summarize(us("ours"));
      const floor = summarize(us("floor"));
      // Ours over the floor's turn taken just after it, so that what loads the machine at that moment cancels out.
      const ratios = summarize(
        repeatsTaken.map(({ [name]: { ours, floor } }) => median(ours.turnsUs.map((value, turn) => value / floor.turnsUs[turn]!))),
      );
      return {
        workload: name,
        requests,
        oursUs: us("ours"),
        floorUs: us("floor"),
        ours,
        floor,
        ratio: ratios.medianUs,
        ratioSpread: ratios.spread,
        meanUs: { ours: medianOf("ours", (f) => f.isolateMeanUs), floor: medianOf("floor", (f) => f.isolateMeanUs) },
        backgroundUs: { ours: medianOf("ours", (f) => f.backgroundUs), floor: medianOf("floor", (f) => f.backgroundUs) },
      };
    });

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
  const header = ["workload", "requests", "ours µs/req", "spread", "floor µs/req", "spread", "ours / floor", "spread", "all turns ours / floor", "background ours / floor"];
  const rows = report.workloads.map((w) => [
    WORKLOADS[w.workload].title,
    String(w.requests),
    w.ours.medianUs.toFixed(0),
    percent(w.ours.spread),
    w.floor.medianUs.toFixed(0),
    percent(w.floor.spread),
    `${w.ratio.toFixed(2)}x`,
    percent(w.ratioSpread),
    `${w.meanUs.ours.toFixed(0)} / ${w.meanUs.floor.toFixed(0)}`,
    `${w.backgroundUs.ours.toFixed(0)} / ${w.backgroundUs.floor.toFixed(0)}`,
  ]);
  const lines = [
    table(header, rows),
    `µs/req: CPU time per request of the thread that runs the isolate, in the median of a repeat's ${TURNS} turns, median over the repeats; ` +
      "spread: (max - min) / median; ours / floor: each turn of ours over the floor's turn just after it, median turn, median over the repeats. All turns: the same thread over all turns, " +
      "rare turns that cost several times the rest included. Background: the process's other threads (V8's compiler, concurrent GC), all turns.",
  ];
  if (report.profile) {
    lines.push(`our worker's profile (${PROFILED.join(" + ")}), busy time by part of the stack (runtime calls count for their caller):`);
    for (const entry of report.profile.parts.slice(0, 15)) lines.push(`  ${percent(entry.share).padStart(6)}  ${entry.part}`);
    lines.push("top functions by self time:");
    for (const entry of report.profile.top) lines.push(`  ${percent(entry.share).padStart(6)}  ${entry.function}`);
  }
  return lines.join("\n");
}
