// Every long-lived local script, started as a developer starts it (`npm run ...` in a fresh checkout), leaves
// nothing running however it ends: Ctrl-C (SIGINT to the terminal's process group), SIGTERM to npm or to the
// script, SIGKILL of its parent or of npm. They share one mechanism (local/bin/supervise.ts): neon:local, the
// quickest to start, goes through every ending; each other script through one. Each run has a checkout of its
// own (its own .data/ and lock), so they all run at once.
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliEnv, makeCheckout } from "../support/node/checkout";
import { freePort } from "../support/node/free-port";
import { alive, commandLine, descendants, portIsFree, type Started, startProcess, waitFor, waitWhileRunning } from "../support/node/processes";

// Generous: drizzle-kit and wrangler take long to start on a busy 2-core machine.
const START_TIMEOUT_MS = 150_000;
const checkouts: ReturnType<typeof makeCheckout>[] = [];
// Whatever a failed test left behind, so that it cannot disturb the others.
const seen = new Set<number>();
afterAll(() => {
  for (const pid of alive([...seen])) process.kill(pid, "SIGKILL");
  for (const checkout of checkouts) checkout.remove();
});

type Ending = "Ctrl-C" | "SIGTERM to npm" | "SIGTERM to the script" | "SIGKILL of its parent" | "SIGKILL of npm";

// `processes` reads all of /proc: called only by a check that needs it, not on every poll of every script.
type Ready = (output: string, processes: () => number[], checkout: string) => boolean;

function processesOf(npm: ChildProcess): number[] {
  const processes = [npm.pid!, ...descendants(npm.pid!)];
  for (const pid of processes) seen.add(pid);
  return processes;
}

/** `npm run <script>` in a process group of its own, as a terminal runs it, until it is `ready`; with what it runs then. */
async function startScript(script: string, args: string[], ready: Ready): Promise<{ npm: Started; processes: number[] }> {
  const checkout = makeCheckout("orphans");
  checkouts.push(checkout);
  const npm = startProcess("npm", ["run", script, "--", ...args], { cwd: checkout.dir, env: cliEnv(), detached: true });
  const started = await waitWhileRunning(npm, () => ready(npm.output(), () => processesOf(npm.child), checkout.dir), START_TIMEOUT_MS - 30_000);
  const processes = processesOf(npm.child); // also for afterAll, should it not be ready
  expect(started, npm.output()).toBe(true);
  return { npm, processes };
}

/** The process running `file` (not the supervisor that names it too). */
function scriptProcess(processes: number[], file: string): number {
  const pid = processes.find((p) => commandLine(p).includes(file) && !commandLine(p).includes("supervise.ts"));
  expect(pid, `no process runs ${file}`).toBeDefined();
  return pid!;
}

function end(started: Started, ending: Ending, file: string, processes: number[]) {
  const npmPid = started.child.pid!;
  const script = scriptProcess(processes, file);
  if (ending === "Ctrl-C") process.kill(-npmPid, "SIGINT");
  else if (ending === "SIGTERM to npm") process.kill(npmPid, "SIGTERM");
  else if (ending === "SIGTERM to the script") process.kill(script, "SIGTERM");
  else if (ending === "SIGKILL of npm") process.kill(npmPid, "SIGKILL");
  else {
    const parent = processes.find((p) => commandLine(p).includes("supervise.ts"));
    expect(parent).toBeDefined();
    process.kill(parent!, "SIGKILL");
  }
}

async function expectNothingLeft(processes: number[], ports: number[]) {
  expect(await waitFor(() => alive(processes).length === 0, 15_000), `left running: ${alive(processes).map(commandLine).join("; ")}`).toBe(true);
  for (const port of ports) expect(await portIsFree(port), `port ${port} still taken`).toBe(true);
}

/** Starts `script`, ends it the way `ending` says once it is up, and checks that nothing it started is left. */
async function check(script: string, file: string, ending: Ending, options: { args?: string[]; ready: Ready; ports?: number[] }) {
  const { npm, processes } = await startScript(script, options.args ?? [], options.ready);
  end(npm, ending, file, processes);
  await expectNothingLeft(processes, options.ports ?? []);
}

describe.concurrent("no process outlives the script that started it", { timeout: START_TIMEOUT_MS }, () => {
  it.each<Ending>(["Ctrl-C", "SIGTERM to npm", "SIGTERM to the script", "SIGKILL of its parent", "SIGKILL of npm"])(
    "neon:local, ended by %s",
    async (ending) => {
      const port = await freePort();
      await check("neon:local", "local/bin/neon-local.ts", ending, {
        args: ["--port", String(port), "--data-dir", ".data/pglite"],
        ready: (output) => output.includes("Neon gateway ready"),
        ports: [port],
      });
    },
  );

  it("db:studio (drizzle-kit's server in a group of its own), ended by SIGTERM to npm", async () => {
    const port = await freePort();
    await check("db:studio", "local/bin/db-studio.ts", "SIGTERM to npm", {
      args: ["--port", String(port), "--host", "127.0.0.1"],
      ready: (output) => output.includes("Drizzle Studio is up"),
      ports: [port],
    });
  });

  it("db:seed, ended by Ctrl-C while it works", async () => {
    await check("db:seed", "local/bin/db-seed.ts", "Ctrl-C", {
      ready: (_output, _processes, checkout) => existsSync(join(checkout, ".data/pglite.lock")),
    });
  });

  it("bench (wrangler and workerd), ended by SIGTERM to npm", async () => {
    await check("bench", "bench/run.ts", "SIGTERM to npm", {
      args: ["--scale", "0.01"],
      ready: (_output, processes) => processes().some((pid) => commandLine(pid).includes("wrangler")),
    });
  });

  it("dev (the gateway, wrangler and workerd), ended by SIGKILL of npm", async () => {
    const port = await freePort();
    await check("dev", "local/bin/dev.ts", "SIGKILL of npm", {
      args: ["--port", String(port), "--inspector-port", String(await freePort())],
      ready: (output) => output.includes(`clients-api ready on http://127.0.0.1:${port}`),
      ports: [port],
    });
  });

  it("db:psql, ended by SIGTERM to the script", async () => {
    const port = await freePort();
    await check("db:psql", "local/bin/db-psql.ts", "SIGTERM to the script", {
      args: ["--port", String(port)],
      ready: (output) => output.includes("Connect with: psql"),
      ports: [port],
    });
  });
});
