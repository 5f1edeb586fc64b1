// Start-up cost of a bundle: `wrangler check startup` runs the deployable bundle's top level in a local
// workerd and writes a CPU profile of it; the busy (not idle) time in that profile is the figure.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { busyMs, topFunctions, type CpuProfile, type ProfileEntry } from "./inspector";
import { locatorOfBundle } from "./sourcemap";
import type { WorkerConfig } from "./stack";

const execute = promisify(execFile);
// The project's wrangler, run by this Node directly: `npx` would add two processes to every call.
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const wrangler = (...args: string[]) => execute(process.execPath, [wranglerBin, ...args]);

export type Startup = { config: string; runs: number[]; medianMs: number; top: ProfileEntry[] };

const TOP_ENTRIES = 8;

/** The lower median: always one of the runs, so its profile can be shown. */
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

/** wrangler's arguments that select a configuration file and the environment in it. */
const configArgs = ({ config, environment }: WorkerConfig) => ["-c", config, ...(environment ? ["--env", environment] : [])];

async function profileStartup(config: WorkerConfig, bundle: string, outfile: string): Promise<CpuProfile> {
  await wrangler("check", "startup", ...configArgs(config), "--worker", bundle, "--outfile", outfile);
  return JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile;
}

function summarise({ config }: WorkerConfig, bundle: string, profiles: readonly CpuProfile[]): Startup {
  const runs = profiles.map(busyMs);
  const typical = profiles[runs.indexOf(median(runs))]!;
  return { config, runs, medianMs: median(runs), top: topFunctions(typical, TOP_ENTRIES, locatorOfBundle(bundle)) };
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
