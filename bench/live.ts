// Live updates through our worker (GET /api/clients/live): how long after a create's 201 reaches the client
// its change message reaches 1 and 100 open sockets of the user, and what each write costs in database
// round trips now that it records its change in the same statement (the gateway's counters).
import { setTimeout as sleep } from "node:timers/promises";
import type { GatewayStats } from "../local/gateway/gateway";
import type { ChangeJson } from "../src/http/change-json";
import { LIVE_PROTOCOL, MAX_SOCKETS_PER_USER } from "../src/live/protocol";
import { countStatuses, latency, statusMismatches, type Latency, type Sample } from "./load";
import { measureRoundTrips, type RoundTripRun } from "./round-trips";
import { call, type Answer, type Answered } from "./scenarios";
import type { WorkerTarget } from "./worker-target";

/** The creates of one user, one at a time, each waited for on all of the user's open sockets. */
type FanOut = {
  sockets: number;
  creates: number;
  statuses: Record<string, number>;
  /** The create itself, as the client times it. */
  create: Latency;
  /**
   * From the client having the whole 201 answer to the message on the user's last socket to get it, one sample
   * a create; negative where the messages came first (the answer and the messages race to the client).
   */
  toLastSocket: Latency;
  /** The same to every socket's message, one sample a socket and create. */
  toEachSocket: Latency;
  /** From the create being sent to the message on the last socket: the write as another tab sees it. */
  sentToLastSocket: Latency;
  failures: string[];
};

export type Live = { fanOut: FanOut[]; writes: RoundTripRun[]; sockets: RoundTripRun[] };

type WriteKind = "create, new id" | "create, existing id" | "update" | "delete";

/** What docs/api.md states for each write, change log included: the run fails above it. */
const EXPECTED: Record<WriteKind, { status: number; roundTrips: number; op: ChangeJson["op"] | null }> = {
  "create, new id": { status: 201, roundTrips: 1, op: "created" },
  // The stored row comes back and nothing changed: no message either.
  "create, existing id": { status: 200, roundTrips: 2, op: null },
  update: { status: 200, roundTrips: 1, op: "updated" },
  delete: { status: 204, roundTrips: 1, op: "deleted" },
};

/** A message this long after its write's answer counts as not sent. */
const MESSAGE_TIMEOUT_MS = 10_000;
const SOCKETS_OPENED_AT_ONCE = 10;
// The "statuses" of a socket opened and of one closed by its client: the HTTP upgrade's, the close code.
const SWITCHING_PROTOCOLS = 101;
const NORMAL_CLOSURE = 1000;

const keyOf = (op: ChangeJson["op"], clientId: string) => `${op} ${clientId}`;

/** One open socket of a user: when each change message reached it, and whether its `seq`s ran without gaps. */
class LiveSocket {
  private readonly arrived = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();
  private lastSeq: number | null = null;
  readonly problems: string[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", ({ data }) => {
      // Stamped before anything else, so the parsing below is not in the figure.
      const at = performance.now();
      const change = JSON.parse(String(data)) as ChangeJson;
      if (this.lastSeq !== null && change.seq !== this.lastSeq + 1) this.problems.push(`seq ${change.seq} after ${this.lastSeq}`);
      this.lastSeq = change.seq;
      const key = keyOf(change.op, change.client.id);
      const waiter = this.waiting.get(key);
      if (waiter) waiter(at);
      else this.arrived.set(key, at);
    });
    socket.addEventListener("close", ({ code, reason }) => {
      if (code !== NORMAL_CLOSURE) this.problems.push(`closed by the server: ${code} ${reason}`);
    });
  }

  static open(baseUrl: string, token: string): Promise<LiveSocket> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/api/clients/live`, [LIVE_PROTOCOL, `bearer.${token}`]);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(new LiveSocket(socket)), { once: true });
      socket.addEventListener("error", () => reject(new Error("the live socket did not open")), { once: true });
    });
  }

  /** When the message of `op` on `clientId` arrived (or arrives), or null if not within the timeout. */
  arrival(op: ChangeJson["op"], clientId: string): Promise<number | null> {
    const key = keyOf(op, clientId);
    const at = this.arrived.get(key);
    if (at !== undefined) {
      this.arrived.delete(key);
      return Promise.resolve(at);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(null);
      }, MESSAGE_TIMEOUT_MS);
      this.waiting.set(key, (arrivedAt) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(arrivedAt);
      });
    });
  }

  /** Messages that came and were never asked for: a write published something it should not have. */
  unexpected(): string[] {
    return [...this.arrived.keys()];
  }

  /** Closes the socket; resolves once the server's close has come back. */
  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.socket.addEventListener("close", () => resolve(), { once: true }));
    this.socket.close(NORMAL_CLOSURE);
    return closed;
  }
}

/** A user's target for writes, and the user's open sockets. */
type Listener = { target: WorkerTarget; sockets: LiveSocket[] };

/** A user the measure writes as: the target carries the same token the sockets offer. */
export type LiveUser = { target: WorkerTarget; token: string };

/** Opens `count` sockets for a user: what each costs in round trips (its Durable Object sets the user's watched mark). */
async function openListener(baseUrl: string, stats: () => GatewayStats, { target, token }: LiveUser, count: number) {
  const sockets: LiveSocket[] = [];
  const open = async () => {
    sockets.push(await LiveSocket.open(baseUrl, token));
    return { status: SWITCHING_PROTOCOLS };
  };
  const items = Array.from({ length: count }, (_, i) => i);
  const { run } = await measureRoundTrips(stats, `open a socket (${count} for a user)`, items, SOCKETS_OPENED_AT_ONCE, open, {
    status: SWITCHING_PROTOCOLS,
    roundTrips: 1,
  });
  return { listener: { target, sockets }, run };
}

/**
 * Closes all of a user's sockets and waits for its Durable Object to clear the user's mark, which it does after
 * answering the last close: the round trips counted are the user's, not a socket's.
 */
async function closeListener({ sockets }: Listener, stats: () => GatewayStats): Promise<Answer> {
  const before = stats().requests;
  await Promise.all(sockets.map((socket) => socket.close()));
  for (const deadline = performance.now() + MESSAGE_TIMEOUT_MS; stats().requests === before && performance.now() < deadline; ) await sleep(20);
  // Room for a round trip more than stated to show.
  await sleep(500);
  return { status: NORMAL_CLOSURE };
}

/** Collects a listener's samples over its creates. */
class FanOutRecorder {
  readonly answers: Answered[] = [];
  readonly toLast: Sample[] = [];
  readonly toEach: Sample[] = [];
  readonly sentToLast: Sample[] = [];
  readonly failures: string[] = [];

  constructor(private readonly listener: Listener) {}

  async create(id: string, record: boolean): Promise<void> {
    const { target, sockets } = this.listener;
    const sentAt = performance.now();
    const answer = await call(() => target.create({ id, name: `Live ${id}` }));
    const answeredAt = performance.now();
    const arrivals = await Promise.all(sockets.map((socket) => socket.arrival("created", id)));
    if (!record) return;
    this.answers.push(answer);
    const missing = arrivals.filter((at) => at === null).length;
    if (missing > 0) this.failures.push(`${id}: no message on ${missing} of ${sockets.length} sockets within ${MESSAGE_TIMEOUT_MS} ms`);
    const arrived = arrivals.filter((at) => at !== null);
    this.toEach.push(...arrived.map((at) => ({ status: answer.status, ms: at - answeredAt })));
    if (missing > 0) return;
    const last = Math.max(...arrived);
    this.toLast.push({ status: answer.status, ms: last - answeredAt });
    this.sentToLast.push({ status: answer.status, ms: last - sentAt });
  }

  result(): FanOut {
    const statuses = countStatuses(this.answers);
    const problems = this.listener.sockets.flatMap((socket) => [...socket.problems, ...socket.unexpected().map((key) => `unexpected message: ${key}`)]);
    return {
      sockets: this.listener.sockets.length,
      creates: this.answers.length,
      statuses,
      create: latency(this.answers),
      toLastSocket: latency(this.toLast),
      toEachSocket: latency(this.toEach),
      sentToLastSocket: latency(this.sentToLast),
      failures: [...statusMismatches(statuses, { 201: this.answers.length }), ...this.failures, ...problems],
    };
  }
}

/** Each write `count` times, one at a time, for a user with one open socket: round trips and the message it sends. */
async function writeCosts(listener: Listener, stats: () => GatewayStats, prefix: string, count: number): Promise<RoundTripRun[]> {
  const { target, sockets } = listener;
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const writes: [WriteKind, (id: string) => Promise<Answer>][] = [
    ["create, new id", (id) => target.create({ id, name: `Costed ${id}` })],
    ["create, existing id", (id) => target.create({ id, name: `Again ${id}` })],
    ["update", (id) => target.patch(id, { company: "Changed" })],
    ["delete", (id) => target.delete(id)],
  ];
  const runs: RoundTripRun[] = [];
  for (const [write, send] of writes) {
    const { op, ...expected } = EXPECTED[write];
    const { run } = await measureRoundTrips(stats, write, ids, 1, send, expected);
    // The messages wait on the sockets meanwhile: each write's must be there (or come within the timeout).
    const arrivals = op ? await Promise.all(ids.flatMap((id) => sockets.map((socket) => socket.arrival(op, id)))) : [];
    const missing = arrivals.filter((at) => at === null).length;
    if (missing > 0) run.failures.push(`${missing} of ${arrivals.length} "${op}" messages missing`);
    runs.push(run);
  }
  // Every other write's message was taken above: one left over came from a create of an existing id.
  const unexpected = sockets.flatMap((socket) => socket.unexpected());
  if (unexpected.length > 0) runs.find((run) => run.scenario === "create, existing id")?.failures.push(`unexpected messages: ${unexpected.slice(0, 5).join(", ")}`);
  return runs;
}

/**
 * `creates` creates for a user with one socket and for a user with MAX_SOCKETS_PER_USER sockets, taking turns
 * create by create (a busy moment of the shared machine falls on both alike), after a few unrecorded ones;
 * then the round trips of each write for the first user, and those of opening and closing the sockets.
 */
export async function liveUpdates(
  baseUrl: string,
  users: { oneSocket: LiveUser; manySockets: LiveUser },
  stats: () => GatewayStats,
  prefix: string,
  { creates, writes }: { creates: number; writes: number },
): Promise<Live> {
  const listeners: Listener[] = [];
  const sockets: RoundTripRun[] = [];
  try {
    for (const [user, count] of [[users.oneSocket, 1], [users.manySockets, MAX_SOCKETS_PER_USER]] as const) {
      const { listener, run } = await openListener(baseUrl, stats, user, count);
      listeners.push(listener);
      sockets.push(run);
    }
    const recorders = listeners.map((listener) => new FanOutRecorder(listener));
    const warmUps = Math.max(2, Math.round(creates / 20));
    for (let i = 0; i < warmUps + creates; i++) {
      for (const [n, recorder] of recorders.entries()) await recorder.create(`${prefix}fan-${n}-${i}`, i >= warmUps);
    }
    const fanOut = recorders.map((recorder) => recorder.result());
    const costs = await writeCosts(listeners[0]!, stats, `${prefix}cost-`, writes);
    const close = (listener: Listener) => closeListener(listener, stats);
    const closed = await measureRoundTrips(stats, "close all of a user's sockets", listeners, 1, close, { status: NORMAL_CLOSURE, roundTrips: 1 });
    return { fanOut, writes: costs, sockets: [...sockets, closed.run] };
  } finally {
    await Promise.all(listeners.flatMap((listener) => listener.sockets).map((socket) => socket.close()));
  }
}
