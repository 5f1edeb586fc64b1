// Runs inside workerd, wrapped around one worker's handler (ours or the floor's): the CPU measure's
// requests are made here and handed to the handler in a loop, with no HTTP in between, and the database's
// answers come from memory. They were recorded once from the real gateway (`/record`), so the handler
// does all its own work (parsing, checks, query building, result mapping) on answers it really got.
import { BENCH_RATE_LIMIT, WORKLOADS, type RequestSpec, type Workload, type WorkloadName } from "../workloads";

type Handler = { fetch(request: Request, env: unknown, ctx: unknown): Response | Promise<Response> };

/** One answer of the database's HTTP endpoint, as the driver received it. */
type Answer = { status: number; headers: [string, string][]; body: string };

/** What a control request asked for: record with the real gateway, or replay what was recorded. */
type Mode = { kind: "live" } | { kind: "record"; into: Answer[] } | { kind: "replay"; answers: Answer[]; next: number };

const BASE_URL = "http://bench.local";
const realFetch = globalThis.fetch.bind(globalThis);

let mode: Mode = { kind: "live" };

async function databaseFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  if (mode.kind === "live") return realFetch(input, init);
  if (mode.kind === "record") {
    const response = await realFetch(input, init);
    const answer: Answer = { status: response.status, headers: [...response.headers], body: await response.text() };
    mode.into.push(answer);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }
  const answer = mode.answers[mode.next++ % mode.answers.length]!;
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
// The driver calls the global fetch at each round trip: that call is the one seam to the database.
globalThis.fetch = databaseFetch as typeof fetch;

/** A request as it arrives from the network: with the length of its body, as a client sends it. */
function requestOf({ method, path, body }: RequestSpec, token: string): Request {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let text: string | undefined;
  if (body !== undefined) {
    text = JSON.stringify(body);
    headers["content-type"] = "application/json";
    headers["content-length"] = String(new TextEncoder().encode(text).length);
  }
  return new Request(`${BASE_URL}${path}`, { method, headers, body: text });
}

async function send(handler: Handler, env: unknown, ctx: unknown, request: Request): Promise<{ status: number; body: string }> {
  const response = await handler.fetch(request, env, ctx);
  return { status: response.status, body: await response.text() };
}

// Two services of the platform that wrangler's local runtime simulates at a cost of its own, several
// times our handler's (see bench/README.md): the rate limiting binding and the console, which it
// forwards to wrangler over the inspector protocol. Unless asked for the local platform, the handler
// gets an in-memory limiter of the same interface and limits, and its log lines are built as always but
// not handed on.
const unwritten = () => {};

type RateLimit = { limit(options: { key: string }): Promise<{ success: boolean }> };

/** A fixed-window counter per key, like the binding's; the bench's limits are out of reach anyway. */
function inMemoryLimiter(limit: number, periodSeconds: number): RateLimit {
  const counts = new Map<string, { window: number; count: number }>();
  return {
    async limit({ key }) {
      const window = Math.floor(Date.now() / 1000 / periodSeconds);
      const entry = counts.get(key);
      const count = entry?.window === window ? entry.count + 1 : 1;
      counts.set(key, { window, count });
      return { success: count <= limit };
    },
  };
}

// One env per isolate, as the runtime gives: the worker's settings are parsed once per env object.
const envsWithLimits = new WeakMap<object, object>();

function inMemoryLimits(env: unknown): unknown {
  const bindings = env as Record<string, unknown>;
  let replaced = envsWithLimits.get(bindings);
  if (!replaced) {
    const swap = (name: string) => (name in bindings ? { [name]: inMemoryLimiter(BENCH_RATE_LIMIT, 60) } : {});
    envsWithLimits.set(bindings, (replaced = { ...bindings, ...swap("READ_LIMITER"), ...swap("WRITE_LIMITER") }));
  }
  return replaced;
}

type Recording = { token: string; prefix: string; answers: Map<WorkloadName, Answer[]> };
let recording: Recording | undefined;

export function cpuHarness(handler: Handler) {
  return {
    async fetch(request: Request, env: unknown, ctx: unknown): Promise<Response> {
      const url = new URL(request.url);
      const token = url.searchParams.get("token") ?? "";
      const prefix = url.searchParams.get("prefix") ?? "";
      const n = Number(url.searchParams.get("n") ?? "0");
      const name = url.searchParams.get("workload") as WorkloadName;

      if (url.pathname === "/__cpu/record") {
        // The rows the workloads need, written through the handler against the real gateway.
        mode = { kind: "live" };
        for (const setup of Object.values(WORKLOADS).flatMap((workload) => workload.setup(prefix))) {
          const { status, body } = await send(handler, env, ctx, requestOf(setup, token));
          if (status !== 201) return Response.json({ error: `setup ${setup.method} ${setup.path} answered ${status}: ${body}` }, { status: 500 });
        }
        const answers = new Map<WorkloadName, Answer[]>();
        for (const [key, workload] of Object.entries(WORKLOADS) as [WorkloadName, Workload][]) {
          const into: Answer[] = [];
          mode = { kind: "record", into };
          const { status, body } = await send(handler, env, ctx, requestOf(workload.request(prefix, 0), token));
          mode = { kind: "live" };
          if (status !== workload.status) return Response.json({ error: `${key} answered ${status}: ${body}` }, { status: 500 });
          answers.set(key, into);
        }
        recording = { token, prefix, answers };
        return Response.json({ roundTrips: Object.fromEntries([...answers].map(([key, list]) => [key, list.length])) });
      }

      if (url.pathname === "/__cpu/replay") {
        const workload = WORKLOADS[name];
        const answers = recording?.answers.get(name);
        if (!workload || !answers || !recording) return Response.json({ error: `nothing recorded for ${name}` }, { status: 400 });
        const statuses: Record<number, number> = {};
        const localPlatform = url.searchParams.get("platform") === "local";
        const written = { log: console.log, warn: console.warn, error: console.error };
        if (!localPlatform) Object.assign(console, { log: unwritten, warn: unwritten, error: unwritten });
        const handlerEnv = localPlatform ? env : inMemoryLimits(env);
        try {
          for (let i = 0; i < n; i++) {
            // Each request starts from the first of its recorded answers.
            mode = { kind: "replay", answers, next: 0 };
            const { status } = await send(handler, handlerEnv, ctx, requestOf(workload.request(recording.prefix, i + 1), recording.token));
            statuses[status] = (statuses[status] ?? 0) + 1;
          }
        } finally {
          Object.assign(console, written);
          mode = { kind: "live" };
        }
        return Response.json({ statuses });
      }

      // Anything else (wrangler's first request included) goes to the handler as it is.
      return handler.fetch(request, env, ctx);
    },
  };
}
