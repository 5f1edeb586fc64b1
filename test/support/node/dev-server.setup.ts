// The browser project's one `npm run dev`, shared by its test files: two would contend for the PGlite folder
// (.data/, locked by its dev server) and double the start-up on a shared machine.
import type { TestProject } from "vitest/node";
import { repo } from "./checkout";
import { freePort } from "./free-port";
import { type Started, startProcess, waitWhileRunning } from "./processes";

const READY_TIMEOUT_MS = 90_000;

/** Starts `npm run dev` on `port` and resolves once it printed its ready line. */
async function startDev(port: number): Promise<Started> {
  const dev = startProcess("npm", ["run", "dev"], {
    cwd: repo,
    env: { ...process.env, PORT: String(port), WRANGLER_SEND_METRICS: "false" },
    detached: true,
  });
  if (!(await waitWhileRunning(dev, () => dev.output().includes(" ready on "), READY_TIMEOUT_MS))) {
    throw new Error(`npm run dev exited, or was not ready in ${READY_TIMEOUT_MS / 1000} s:\n${dev.output()}`);
  }
  return dev;
}

export default async function setup(project: TestProject) {
  const port = await freePort();
  const dev = await startDev(port);
  project.provide("devUrl", `http://127.0.0.1:${port}`);
  return async () => {
    if (dev.child.exitCode === null) {
      // The whole group: npm, the dev runner and its wrangler.
      process.kill(-dev.child.pid!, "SIGTERM");
      await dev.exited;
    }
  };
}
