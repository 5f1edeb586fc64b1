// What a test of a CLI needs: to start it and read its output, and to tell whether everything it started has
// ended (the process tree from /proc, whether a port is free).
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { descendants, processStat } from "../../../local/tooling/process-group";

export { descendants };

export interface Started {
  child: ChildProcess;
  /** Its stdout and stderr so far, interleaved as they came. */
  output: () => string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Spawns `command` with its stdout and stderr piped and collected. */
export function startProcess(command: string, args: string[], options: SpawnOptions): Started {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, output: () => output, exited };
}

/** SIGKILL to `pid` and every live process descending from it: what a failed test left running. */
export function killTree(pid: number): void {
  for (const each of alive([pid, ...descendants(pid)])) process.kill(each, "SIGKILL");
}

/** The processes of `pids` that still run (a zombie has ended). */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    const stat = processStat(pid);
    return stat !== undefined && stat.state !== "Z";
  });
}

/** The command line of a process, its arguments joined by spaces; empty once it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Whether `condition` holds within `timeoutMs` while `started` runs: false as soon as it exits without. */
export function waitWhileRunning(started: Started, condition: () => boolean, timeoutMs: number): Promise<boolean> {
  return Promise.race([waitFor(condition, timeoutMs), started.exited.then(() => false)]);
}

export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
