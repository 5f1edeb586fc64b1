// Start-up cost of a bundle: `wrangler check startup` runs the deployable bundle's top level in a local
// workerd and writes a CPU profile of it; the busy (not idle) time in that profile is the figure.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { busyMs, partsOf, topFunctions, type CpuProfile, type PartEntry, type ProfileEntry } from "./inspector";
import { table } from "./report";
import { locatorOfBundle, type Locate } from "./sourcemap";
import type { WorkerConfig } from "./stack";

const execute = promisify(execFile);
// The project's wrangler, run by this Node directly: `npx` would add two processes to every call.
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const wrangler = (...args: string[]) => execute(process.execPath, [wranglerBin, ...args]);

/** `parts`: busy time by part of the stack (the package or project file), the mean over the runs, when the bundle has a source map. */
export type Startup = { config: string; runs: number[]; medianMs: number; top: ProfileEntry[]; parts: PartEntry[] };

const TOP_ENTRIES = 8;

/** The lower median: always one of the runs, so its profile can be shown. */
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

/** wrangler's arguments that select a configuration file and the environment in it. */
const configArgs = ({ config, environment }: WorkerConfig) => ["-c", config, ...(environment ? ["--env", environment] : [])];

async function profileStartup(config: WorkerConfig, bundle: string, outfile: string): Promise<CpuProfile> {
  await wrangler("check", "startup", ...configArgs(config), "--worker", bundle, "--outfile", outfile);
  return JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile;
}

// One run's profile holds a few dozen samples: a part's share of it moves from run to run, its mean less.
function meanParts(profiles: readonly CpuProfile[], locate: Locate): PartEntry[] {
  const totals = new Map<string, number>();
  for (const profile of profiles) for (const { part, selfMs } of partsOf(profile, locate)) totals.set(part, (totals.get(part) ?? 0) + selfMs);
  const busy = [...totals.values()].reduce((sum, ms) => sum + ms, 0);
  return [...totals].sort((a, b) => b[1] - a[1]).map(([part, ms]) => ({ part, selfMs: ms / profiles.length, share: ms / busy }));
}

function summarise({ config }: WorkerConfig, bundle: string, profiles: readonly CpuProfile[]): Startup {
  const runs = profiles.map(busyMs);
  const typical = profiles[runs.indexOf(median(runs))]!;
  const locate = locatorOfBundle(bundle);
  return { config, runs, medianMs: median(runs), top: topFunctions(typical, TOP_ENTRIES, locate), parts: locate ? meanParts(profiles, locate) : [] };
}

/**
 * Builds the bundle `wrangler deploy` would upload for each config, then profiles their start-up
 * `times` times each, alternating, so that a busy moment on the machine hits both alike.
 */
export async function compareStartup(configs: readonly WorkerConfig[], times: number): Promise<Startup[]> {
  const dir = mkdtempSync(join(tmpdir(), "worker-startup-"));
  try {
    const bundles = configs.map((_, i) => join(dir, `worker-${i}.bundle`));
    for (const [i, config] of configs.entries()) {
      await wrangler("deploy", "--dry-run", ...configArgs(config), "--outfile", bundles[i]!);
    }
    const profiles = configs.map((): CpuProfile[] => []);
    for (let round = 0; round < times; round++) {
      for (const [i, config] of configs.entries()) {
        profiles[i]!.push(await profileStartup(config, bundles[i]!, join(dir, `startup-${i}-${round}.cpuprofile`)));
      }
    }
    return configs.map((config, i) => summarise(config, bundles[i]!, profiles[i]!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where our start-up's busy time goes next to the floor's: each part's ms in both, and the difference. */
export function renderStartupParts(ours: Startup, floor: Startup): string {
  const floorMs = new Map(floor.parts.map(({ part, selfMs }) => [part, selfMs]));
  const rows = ours.parts.map(({ part, selfMs }) => ({ part, ours: selfMs, floor: floorMs.get(part) ?? 0 }));
  for (const { part, selfMs } of floor.parts) if (!rows.some((row) => row.part === part)) rows.push({ part, ours: 0, floor: selfMs });
  rows.sort((a, b) => b.ours - b.floor - (a.ours - a.floor));
  return table(
    ["part of the stack (mean over the runs)", "ours ms", "floor ms", "diff ms"],
    rows.map(({ part, ours: o, floor: f }) => [part || "(no frame with a source position)", o.toFixed(1), f.toFixed(1), (o - f).toFixed(1)]),
  );
}
