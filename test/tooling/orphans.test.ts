// Every long-lived local script, started as a developer starts it (`npm run ...` in a fresh checkout), leaves
// nothing running however it ends: Ctrl-C (SIGINT to the terminal's process group), SIGTERM to npm or to the
// script, SIGKILL of its parent or of npm. They share one mechanism (local/bin/supervise.ts): neon:local, the
// quickest to start, goes through every ending; each other script through one or two.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, makeCheckout } from "../support/node/checkout";
import { freePort } from "../support/node/free-port";
import { alive, commandLine, descendants, portIsFree, waitFor } from "../support/node/processes";

const START_TIMEOUT_MS = 90_000;
let checkout: ReturnType<typeof makeCheckout>;
beforeAll(() => void (checkout = makeCheckout("orphans")));
afterAll(() => checkout.remove());

type Ending = "Ctrl-C" | "SIGTERM to npm" | "SIGTERM to the script" | "SIGKILL of its parent" | "SIGKILL of npm";

interface Started {
  npm: ChildProcess;
  output: () => string;
}

/** `npm run <script>` in a process group of its own, as a terminal runs it, until `ready` shows in its output. */
async function startScript(script: string, args: string[], ready: (output: string) => boolean): Promise<Started> {
  const npm = spawn("npm", ["run", script, "--", ...args], {
    cwd: checkout.dir,
    env: cliEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  npm.stdout!.on("data", (chunk) => (output += chunk));
  npm.stderr!.on("data", (chunk) => (output += chunk));
  const started = await Promise.race([
    waitFor(() => ready(output), START_TIMEOUT_MS - 20_000),
    once(npm, "exit").then(() => false),
  ]);
  expect(started, output).toBe(true);
  return { npm, output: () => output };
}

/** The process running `file` (not the supervisor that names it too). */
function scriptProcess(processes: number[], file: string): number {
  const pid = processes.find((p) => commandLine(p).includes(file) && !commandLine(p).includes("supervise.ts"));
  expect(pid, `no process runs ${file}`).toBeDefined();
  return pid!;
}

function end(started: Started, ending: Ending, file: string, processes: number[]) {
  const npmPid = started.npm.pid!;
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
async function check(script: string, file: string, ending: Ending, options: { args?: string[]; ready: (output: string) => boolean; ports?: number[] }) {
  const started = await startScript(script, options.args ?? [], options.ready);
  const processes = [started.npm.pid!, ...descendants(started.npm.pid!)];
  end(started, ending, file, processes);
  await expectNothingLeft(processes, options.ports ?? []);
}

describe("no process outlives the script that started it", { timeout: START_TIMEOUT_MS }, () => {
  it.each<Ending>(["Ctrl-C", "SIGTERM to npm", "SIGTERM to the script", "SIGKILL of its parent", "SIGKILL of npm"])(
    "neon:local, ended by %s",
    async (ending) => {
      const port = await freePort();
      await check("neon:local", "local/bin/neon-local.ts", ending, {
        args: ["--port", String(port), "--data-dir", ".data/neon-local"],
        ready: (output) => output.includes("Neon gateway ready"),
        ports: [port],
      });
    },
  );

  it.each<Ending>(["SIGTERM to npm", "SIGKILL of its parent"])("db:studio (drizzle-kit's server), ended by %s", async (ending) => {
    const port = await freePort();
    await check("db:studio", "local/bin/db-studio.ts", ending, {
      args: ["--port", String(port), "--host", "127.0.0.1"],
      ready: (output) => output.includes("Drizzle Studio is up"),
      ports: [port],
    });
  });
});
