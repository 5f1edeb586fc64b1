// `npm run size`: the Worker's bundle budget. Builds exactly what `wrangler deploy` would upload
// (dry run, minified) and fails when its gzip size passes the budget, so a heavy dependency or an
// accidental import of zod's locales is caught in CI rather than in cold-start times.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 120 * 1024;
const LARGEST_INPUTS_SHOWN = 8;

type Metafile = { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;

// Inputs look like "node_modules/@scope/name/..." or "node_modules/name/...".
function packageOf(inputPath: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(inputPath);
  return match?.[1] ?? "(project source)";
}

function largestPackages(metafile: Metafile): [string, number][] {
  const bytesByPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      bytesByPackage.set(name, (bytesByPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytesByPackage].sort((a, b) => b[1] - a[1]).slice(0, LARGEST_INPUTS_SHOWN);
}

const outdir = mkdtempSync(join(tmpdir(), "worker-size-"));
try {
  // Exactly what `wrangler deploy` would upload: minified because wrangler.toml says so, and over the
  // budget if that setting is ever dropped.
  const args = ["wrangler", "deploy", "--dry-run", "--env", "production", "--outdir", outdir, "--metafile", join(outdir, "meta.json")];
  execFileSync("npx", args, { stdio: ["ignore", "ignore", "inherit"] });

  const modules = readdirSync(outdir).filter((file) => /\.(m?js|wasm)$/.test(file));
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of modules) {
    const content = readFileSync(join(outdir, file));
    rawBytes += content.length;
    gzipBytes += gzipSync(content).length;
  }

  console.log(`Worker bundle (${modules.join(", ")}): ${kib(rawBytes)}, gzip ${kib(gzipBytes)} (budget ${kib(BUDGET_BYTES)})`);
  console.log("largest packages in the bundle (minified, before gzip):");
  const metafile = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8")) as Metafile;
  for (const [name, bytes] of largestPackages(metafile)) console.log(`  ${kib(bytes).padStart(11)}  ${name}`);

  if (gzipBytes > BUDGET_BYTES) {
    console.error(`FAIL: gzip size ${kib(gzipBytes)} is over the ${kib(BUDGET_BYTES)} budget`);
    process.exitCode = 1;
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
