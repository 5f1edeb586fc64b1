// Child commands that start processes of their own (wrangler starts workerd, drizzle-kit a server) run in a
// process group of their own: stopping the group stops all of them, and a Ctrl-C in the terminal reaches
// only the parent, which then stops the group in its own order. A guard process stops the group too if the
// parent ends without doing so (killed with SIGKILL, say), so nothing is ever left behind holding a port.
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { constants as osConstants } from "node:os";

const GRACE_MS = 3000;
// Reads its stdin (a pipe from this process) until the operating system closes it, then stops the group $1:
// SIGTERM, and SIGKILL to what is left after the grace period. A shell, not another Node process: it is idle
// for as long as the group runs.
const GUARD_SCRIPT = `cat >/dev/null
kill -TERM -$1 2>/dev/null || exit 0
for _ in $(seq ${GRACE_MS / 100}); do kill -0 -$1 2>/dev/null || exit 0; sleep 0.1; done
kill -KILL -$1 2>/dev/null`;

export interface ProcessGroup {
  child: ChildProcess;
  /** SIGTERM to every process of the group, SIGKILL to what is left after a grace period; resolves once none is left. */
  stop(): Promise<void>;
}

export function spawnGroup(command: string, args: string[], options: SpawnOptions): ProcessGroup {
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not start ${command}`);
  // The guard waits on a pipe that only the operating system closes: when this process ends, however it ends.
  const guard = spawn("sh", ["-c", GUARD_SCRIPT, "group-guard", String(pgid)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  guard.unref();
  (guard.stdin as Socket).unref();
  // Last resort for a synchronous exit (process.exit after an error): the guard would follow within milliseconds,
  // but a SIGKILL now frees the port before this process is even gone.
  const killNow = () => signalGroup(pgid, "SIGKILL");
  process.once("exit", killNow);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      signalGroup(pgid, "SIGTERM");
      const deadline = Date.now() + GRACE_MS;
      while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pgid)) signalGroup(pgid, "SIGKILL");
      // Bounded: a killed process whose parent died stays a zombie (still in the group) until init reaps it.
      for (const killDeadline = Date.now() + GRACE_MS; groupAlive(pgid) && Date.now() < killDeadline; ) await sleep(50);
      process.off("exit", killNow);
      guard.stdin?.end();
    })());
  return { child, stop };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** Whether `target` (a pid, or minus a process group's id) exists: a signal reaches it, or is refused (EPERM). */
export function processOrGroupExists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const groupAlive = (pgid: number) => processOrGroupExists(-pgid);

/** The state letter and parent of `pid` from /proc/PID/stat (Linux); undefined once it is gone. */
export function processStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined; // ended while being read
  }
}

/** Every live process descending from `pid`, by the parent links in /proc (a zombie has ended). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat && stat.state !== "Z") parents.set(Number(entry), stat.ppid);
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    frontier = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...frontier);
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PARENT_POLL_MS = 500;

/**
 * Runs `command` as the leader of a process group of its own, passes its output through and ends with its exit
 * code; everything it starts ends with it. Ctrl-C (SIGINT) or SIGTERM here, or the end of this process's parent
 * (npm killed: nobody would pass a signal on), stops the whole group; the end of this process itself, however
 * it comes, is the guard's cue. The command gets SIGTERM first, so it can close what it opened in order.
 */
export function superviseGroup(command: string, args: string[]): void {
  // stdin stays here: a process group in the background that reads the terminal would be stopped (SIGTTIN).
  const group = spawnGroup(command, args, { stdio: ["ignore", "inherit", "inherit"] });
  const stop = () => void group.stop();
  process.on("SIGINT", stop).on("SIGTERM", stop).on("SIGHUP", stop);
  // npm runs a script through `sh -c`, which outlives a killed npm: the parent's parent is watched too.
  const parent = process.ppid;
  const grandparent = processStat(parent)?.ppid;
  const orphaned = () => process.ppid !== parent || processStat(parent)?.ppid !== grandparent;
  setInterval(() => orphaned() && stop(), PARENT_POLL_MS).unref();
  group.child.once("exit", async (code, signal) => {
    await group.stop(); // what the command left running
    process.exit(code ?? 128 + (signal ? osConstants.signals[signal] : 0));
  });
}
