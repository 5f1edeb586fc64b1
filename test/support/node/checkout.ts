// A fresh copy of the project as a new user has it, in a temporary folder: its own local/ (so its own .data/,
// .dev.vars and .wrangler/), the rest linked to this one. CLIs run in it as in a clone.
import { copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = fileURLToPath(new URL("../../..", import.meta.url));

export function makeCheckout(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cpSync(join(repo, "local"), join(dir, "local"), { recursive: true });
  for (const file of ["wrangler.toml", "package.json", ".dev.vars.example", "drizzle.config.ts", "tsconfig.json", "vitest.config.ts"]) {
    copyFileSync(join(repo, file), join(dir, file));
  }
  for (const linked of ["node_modules", "src", "migrations", "scripts", "public", "bench"]) {
    symlinkSync(join(repo, linked), join(dir, linked));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment a CLI gets in a checkout: the project's tools first on PATH, and no DATABASE_URL of ours. */
export const cliEnv = (env: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${repo}node_modules/.bin:${process.env.PATH}`,
  DATABASE_URL: "",
  ...env,
});
