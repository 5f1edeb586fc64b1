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

export type PartEntry = { part: string; selfMs: number; share: number };

/** A profile's call tree: its nodes by id, and each node's parent (the root has none). */
type CallTree = { nodes: Map<number, CpuProfileNode>; parents: Map<number, number> };

/**
 * Busy time summed by the key `keyOf` gives each sample's node, most first; `share` is of all busy time.
 * Samples at the root (no JavaScript or runtime code on the stack) or "(idle)" are idle time.
 */
function selfTimeBy(profile: CpuProfile, keyOf: (node: CpuProfileNode, tree: CallTree) => string): { key: string; selfMs: number; share: number }[] {
  const tree: CallTree = { nodes: new Map(profile.nodes.map((node) => [node.id, node])), parents: new Map() };
  for (const node of profile.nodes) for (const child of node.children ?? []) tree.parents.set(child, node.id);
  const selfMs = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = tree.nodes.get(id);
    if (!node || !tree.parents.has(id) || node.callFrame.functionName === "(idle)") return;
    const key = keyOf(node, tree);
    selfMs.set(key, (selfMs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const busy = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);
  return [...selfMs].sort((a, b) => b[1] - a[1]).map(([key, ms]) => ({ key, selfMs: ms, share: ms / busy }));
}

/** Native functions (runtime APIs, bindings) carry their caller's script with no position (-1). */
const hasPosition = (frame: CallFrame) => Boolean(frame.url) && frame.lineNumber >= 0;

/** Functions by self time. `locate` names a frame's place in the sources. */
export function topFunctions(profile: CpuProfile, count: number, locate?: Locate): ProfileEntry[] {
  return selfTimeBy(profile, ({ callFrame: frame }) => {
    const where = hasPosition(frame)
      ? ` ${locate?.(frame) ?? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`}`
      : "";
    return `${frame.functionName || "(anonymous)"}${where}`;
  })
    .slice(0, count)
    .map(({ key, selfMs, share }) => ({ function: key, selfMs, share }));
}

/** Busy (not idle) time in a profile, in milliseconds. */
export function busyMs(profile: CpuProfile): number {
  return topFunctions(profile, Number.POSITIVE_INFINITY).reduce((sum, entry) => sum + entry.selfMs, 0);
}

/** The package (or project file) a located frame comes from: `hono`, `src/http/middleware/auth.ts`. */
function partOf(location: string): string {
  const path = location.replace(/:\d+$/, "");
  // drizzle-orm's own source maps name its sources `../src/…`, one folder too high.
  if (/(?:^|\/)node_modules\/src\//.test(path)) return "drizzle-orm";
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path;
}

/**
 * Busy time by part of the stack. A runtime function (crypto, Response, fetch, console) has no source
 * position: its time goes to the nearest caller that has one, so `crypto.subtle.verify` called from
 * Hono's JWT code counts for `hono`. Samples with no located frame on the stack keep their own name.
 */
export function partsOf(profile: CpuProfile, locate: Locate): PartEntry[] {
  const partByNode = new Map<number, string | null>();
  const partAt = (id: number, tree: CallTree): string | null => {
    if (partByNode.has(id)) return partByNode.get(id)!;
    const frame = tree.nodes.get(id)!.callFrame;
    const location = hasPosition(frame) ? locate(frame) : undefined;
    const parent = tree.parents.get(id);
    const part = location ? partOf(location) : parent === undefined ? null : partAt(parent, tree);
    partByNode.set(id, part);
    return part;
  };
  return selfTimeBy(profile, (node, tree) => partAt(node.id, tree) ?? node.callFrame.functionName).map(({ key, selfMs, share }) => ({ part: key, selfMs, share }));
}
