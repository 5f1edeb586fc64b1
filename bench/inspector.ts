// A minimal DevTools-protocol client for the worker's isolate, through the inspector port that wrangler's
// local runtime opens (`inspectorPort`): heap usage, garbage collection and CPU profiles.
import type { Locate } from "./sourcemap";

export type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };

export type CpuProfileNode = {
  id: number;
  callFrame: CallFrame;
  children?: number[];
};

export type CpuProfile = { nodes: CpuProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

export type HeapUsage = { usedSize: number; totalSize: number };

type Reply = { id?: number; result?: unknown; error?: { message: string } };

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event) => {
      const reply = JSON.parse(String(event.data)) as Reply;
      const waiting = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!waiting) return; // an event, not an answer
      this.pending.delete(reply.id!);
      if (reply.error) waiting.reject(new Error(`inspector: ${reply.error.message}`));
      else waiting.resolve(reply.result);
    });
    socket.addEventListener("close", () => {
      for (const waiting of this.pending.values()) waiting.reject(new Error("inspector connection closed"));
      this.pending.clear();
    });
  }

  /** Connects to the first target the inspector port lists (the worker). */
  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
    const url = targets[0]?.webSocketDebuggerUrl;
    if (!url) throw new Error(`no inspector target on port ${port}`);
    // wrangler's inspector proxy accepts DevTools from a local Origin only; Node's WebSocket takes
    // headers in its (non-standard) options object.
    const socket = new WebSocket(url, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot open ${url}`)), { once: true });
    });
    return new Inspector(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * The isolate's JS heap in use after a full garbage collection. workerd never answers
   * `HeapProfiler.collectGarbage`; a heap snapshot collects garbage before it walks the heap.
   */
  async heapAfterGc(): Promise<HeapUsage> {
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    return this.send<HeapUsage>("Runtime.getHeapUsage");
  }

  /** A CPU profile of the isolate while `load` runs (workerd makes its profiler on `Profiler.enable`). */
  async profile(load: () => Promise<unknown>): Promise<CpuProfile> {
    await this.send("Profiler.enable");
    await this.send("Profiler.start");
    const failure = await load().then(
      () => null,
      (error: unknown) => ({ error }),
    );
    const { profile } = await this.send<{ profile: CpuProfile }>("Profiler.stop");
    if (failure) throw failure.error;
    return profile;
  }

  close(): void {
    this.socket.close();
  }
}

export type ProfileEntry = { function: string; selfMs: number; share: number };

/** Functions by self time; `share` is of all busy time. `locate` names a frame's place in the sources. */
export function topFunctions(profile: CpuProfile, count: number, locate?: Locate): ProfileEntry[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  // Samples at the root (no JavaScript or runtime code on the stack) or "(idle)" are idle time.
  const children = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const selfMs = new Map<string, number>();
  profile.samples.forEach((nodeId, i) => {
    const frame = nodes.get(nodeId)?.callFrame;
    if (!frame || !children.has(nodeId) || frame.functionName === "(idle)") return;
    // Native functions (runtime APIs, bindings) carry their caller's script with no position (-1).
    const where =
      frame.url && frame.lineNumber >= 0
        ? ` ${locate?.(frame) ?? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`}`
        : "";
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    selfMs.set(name, (selfMs.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const busy = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);
  return [...selfMs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ function: name, selfMs: ms, share: ms / busy }));
}

/** Busy (not idle) time in a profile, in milliseconds. */
export function busyMs(profile: CpuProfile): number {
  return topFunctions(profile, Number.POSITIVE_INFINITY).reduce((sum, entry) => sum + entry.selfMs, 0);
}

export type PartEntry = { part: string; selfMs: number; share: number };

/** The package (or project file) a located frame comes from: `hono`, `src/http/middleware/auth.ts`. */
function partOf(location: string): string {
  const path = location.replace(/:\d+$/, "");
  // drizzle-orm's own source maps name its sources `../src/…`, one folder too high.
  if (path.startsWith("node_modules/src/")) return "drizzle-orm";
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path;
}

/**
 * Busy time by part of the stack. A runtime function (crypto, Response, fetch, console) has no source
 * position: its time goes to the nearest caller that has one, so `crypto.subtle.verify` called from
 * Hono's JWT code counts for `hono`. Samples with no located frame on the stack keep their own name.
 */
export function partsOf(profile: CpuProfile, locate: Locate): PartEntry[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const partByNode = new Map<number, string | null>();
  const partAt = (id: number): string | null => {
    if (partByNode.has(id)) return partByNode.get(id)!;
    const frame = nodes.get(id)!.callFrame;
    const location = frame.url && frame.lineNumber >= 0 ? locate(frame) : undefined;
    const parent = parents.get(id);
    const part = location ? partOf(location) : parent === undefined ? null : partAt(parent);
    partByNode.set(id, part);
    return part;
  };
  const selfMs = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || !parents.has(id) || frame.functionName === "(idle)") return;
    const part = partAt(id) ?? frame.functionName;
    selfMs.set(part, (selfMs.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const busy = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);
  return [...selfMs].sort((a, b) => b[1] - a[1]).map(([part, ms]) => ({ part, selfMs: ms, share: ms / busy }));
}
