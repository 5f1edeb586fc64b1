// The browser project's one `npm run dev`, shared by its test files: two would contend for the PGlite folder
// (.data/, locked by its dev server) and double the start-up on a shared machine.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { freePort } from "./free-port";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const READY_TIMEOUT_MS = 90_000;

/** Starts `npm run dev` on `port` and resolves once it printed its ready line. */
async function startDev(port: number): Promise<ChildProcess> {
  const dev = spawn("npm", ["run", "dev"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run dev was not ready in time:\n${output}`)), READY_TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      output += chunk;
      if (output.includes(" ready on ")) {
        clearTimeout(timer);
        resolve();
      }
    };
    dev.stdout?.on("data", collect);
    dev.stderr?.on("data", collect);
    dev.once("exit", (code) => reject(new Error(`npm run dev exited (${code}):\n${output}`)));
  });
  return dev;
}

export default async function setup(project: TestProject) {
  const port = await freePort();
  const dev = await startDev(port);
  project.provide("devUrl", `http://127.0.0.1:${port}`);
  return async () => {
    if (dev.pid && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once("exit", resolve));
      // The whole group: npm, the dev runner and its wrangler.
      process.kill(-dev.pid, "SIGTERM");
      await exited;
    }
  };
}
