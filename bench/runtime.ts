// The operating system's view of a local worker: which workerd processes wrangler started for it and
// how much CPU they have used. Linux only (/proc); the benchmark runs the worker on this machine.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { descendants } from "../local/tooling/process-group";

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** wrangler's local runtime for one worker: its proxy process (which owns the public port) and the worker's. */
export type RuntimeProcesses = { proxy: number; worker: number };

export type CpuMs = { proxy: number; worker: number };

function readStat(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name sits in parentheses and may contain spaces: fields are counted after it.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

const commandOf = (pid: number) => readFileSync(`/proc/${pid}/comm`, "utf8").trim();

/** The workerd processes below this Node process. */
export function workerdProcesses(): number[] {
  return descendants(process.pid).filter((pid) => {
    try {
      return commandOf(pid) === "workerd";
    } catch {
      return false;
    }
  });
}

/** Listening TCP sockets on this machine: socket inode to port. */
function listeningSockets(): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, localAddress, , state, , , , , , inode] = line.trim().split(/\s+/);
      const hexPort = localAddress?.split(":").pop();
      if (state === "0A" && hexPort && inode) sockets.set(inode, Number.parseInt(hexPort, 16));
    }
  }
  return sockets;
}

/** The TCP ports the process listens on. */
export function listeningPorts(pid: number): number[] {
  const sockets = listeningSockets();
  const ports = readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      const port = inode === undefined ? undefined : sockets.get(inode);
      return port === undefined ? [] : [port];
    } catch {
      return []; // the descriptor closed while the table was read
    }
  });
  return [...new Set(ports)];
}

/**
 * Tells apart the two workerd processes wrangler started for the worker on `port`, among the ones that
 * appeared since `before`: the proxy listens on the port, the other one runs the worker's code.
 */
export function runtimeProcesses(port: number, before: readonly number[]): RuntimeProcesses {
  const started = workerdProcesses().filter((pid) => !before.includes(pid));
  const proxy = started.find((pid) => listeningPorts(pid).includes(port));
  const worker = started.filter((pid) => pid !== proxy);
  if (proxy === undefined || worker.length !== 1) {
    throw new Error(`expected a proxy and one worker process for port ${port}, found workerd ${started.join(", ") || "none"}`);
  }
  return { proxy, worker: worker[0]! };
}

/** User plus system CPU time the process (all its threads) has used so far. */
function cpuMsOf(pid: number): number {
  const fields = readStat(pid);
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, 12 and 13 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export function cpuMs(processes: RuntimeProcesses): CpuMs {
  return { proxy: cpuMsOf(processes.proxy), worker: cpuMsOf(processes.worker) };
}

/** CPU time so far, in ns: the process's main thread (workerd's event loop, which runs the isolate) and its other threads. */
type ThreadsCpuNs = { main: number; others: number };

/** From each thread's schedstat (time on CPU in ns, not /proc/<pid>/stat's 10 ms ticks). */
export function threadsCpuNs(pid: number): ThreadsCpuNs {
  const totals: ThreadsCpuNs = { main: 0, others: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      totals[tid === pid ? "main" : "others"] += ns;
    } catch {
      // The thread ended while the table was read.
    }
  }
  return totals;
}
