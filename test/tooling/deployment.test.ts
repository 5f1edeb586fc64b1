// The deploy path, checked without deploying: the workflow passes the workflow linter (which does catch a
// broken one), and `wrangler deploy --dry-run` builds every environment with its own rate limits.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repo } from "../support/node/checkout";

const run = promisify(execFile);
const bin = (name: string) => join(repo, "node_modules/.bin", name);
const workflow = join(repo, ".github/workflows/deploy.yml");
const scratch = mkdtempSync(join(tmpdir(), "deployment-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the deploy workflow", () => {
  it("passes the workflow linter", async () => {
    await expect(run(bin("action-validator"), [workflow])).resolves.toBeDefined();
  });

  it("would be refused by the linter if it were broken", async () => {
    const broken = join(scratch, "broken.yml");
    writeFileSync(broken, readFileSync(workflow, "utf8").replace("runs-on:", "runs_on:"));
    await expect(run(bin("action-validator"), [broken])).rejects.toMatchObject({ code: 1 });
  });
});

// One at a time: each runs the [build] command, which writes public/docs/vendor.
describe("wrangler environments", { timeout: 120_000 }, () => {
  it.each([
    ["development", 10_000, 10_000],
    ["staging", 60, 300],
    ["production", 60, 300],
  ])("%s builds (dry run) with its own rate limits: %i writes and %i reads a minute", async (environment, writes, reads) => {
    const outdir = join(scratch, environment);
    const { stdout } = await run(bin("wrangler"), ["deploy", "--dry-run", "--env", environment, "--outdir", outdir], {
      cwd: repo,
      env: { ...process.env, WRANGLER_LOG: "log", FORCE_COLOR: "0" },
    });
    expect(stdout).toContain("--dry-run: exiting now.");
    expect(stdout).toMatch(new RegExp(`env\\.WRITE_LIMITER \\(${writes} requests/60s\\)`));
    expect(stdout).toMatch(new RegExp(`env\\.READ_LIMITER \\(${reads} requests/60s\\)`));
  });
});
