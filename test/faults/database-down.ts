// The database gone or hung: every request still answers, in bounded time, with a 503 problem that
// says when to retry; nothing is half-written, and the API recovers when the database returns.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GatewayState } from "../support/node/faults-gateway.setup";
import { setGateway } from "../support/gateway-control";
import { HEALTH_CHECK_MAX_AGE_MS } from "../../src/http/routes/health";
import { call, createClient, expectProblem, newUser, randomId } from "../support/api";

// Two attempts (one retry, with under 250 ms of jitter), each bounded by the database timeout. The
// bound is a third timeout rather than a few hundred milliseconds of slack: it still fails if a third
// attempt ran or a call was left unbounded, without flaking on a loaded 2-core CI machine.
const timeoutMs = Number(env.DB_TIMEOUT_MS);
const answerBudgetMs = 3 * timeoutMs;

async function timed(request: () => Promise<Response>) {
  const started = Date.now();
  const response = await request();
  return { response, elapsedMs: Date.now() - started };
}

/** Until /health's answer, kept for a few seconds per isolate, shows the database as it is now. */
const healthCatchesUp = () => new Promise((resolve) => setTimeout(resolve, HEALTH_CHECK_MAX_AGE_MS));

async function expectUnavailable(request: () => Promise<Response>) {
  const { response, elapsedMs } = await timed(request);
  const problem = await expectProblem(response, 503);
  expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
  expect(JSON.stringify(problem)).not.toMatch(/insert|select|stack|at .*\.ts/i);
  expect(elapsedMs).toBeLessThan(answerBudgetMs);
  return elapsedMs;
}

describe.each<GatewayState>(["down", "hang"])("database %s", (state) => {
  afterEach(() => setGateway("up"));

  it("503 problem with Retry-After for every route, health too; then recovers with nothing half-written", { timeout: 20_000 }, async () => {
    const user = await newUser();
    const existing = await createClient(user, { id: randomId("c") });
    const id = randomId("c");
    await setGateway(state);
    await healthCatchesUp();

    await Promise.all([
      expectUnavailable(() => user.call("POST", "/api/clients", { body: { id, name: "During outage" } })),
      expectUnavailable(() => user.call("GET", `/api/clients/${existing.id}`)),
      expectUnavailable(() => user.call("GET", "/api/clients")),
      expectUnavailable(() => user.call("PATCH", `/api/clients/${existing.id}`, { body: { name: "Changed" } })),
      expectUnavailable(() => user.call("DELETE", `/api/clients/${existing.id}`)),
      expectUnavailable(() => call("GET", "/health")),
    ]);

    await setGateway("up");
    await healthCatchesUp();
    expect((await call("GET", "/health")).status).toBe(200);
    expect(await (await user.call("GET", `/api/clients/${existing.id}`)).json()).toEqual({ client: existing });
    // The create that got 503, retried, succeeds as a create.
    expect((await user.call("POST", "/api/clients", { body: { id, name: "After outage" } })).status).toBe(201);
  });
});

describe("a hung database", () => {
  afterEach(() => setGateway("up"));

  it("is given up on after the timeout: health (no retry) within one, a read (one retry) within two", { timeout: 20_000 }, async () => {
    const user = await newUser();
    await setGateway("hang");
    await healthCatchesUp();
    const [health, read] = await Promise.all([
      expectUnavailable(() => call("GET", "/health")),
      expectUnavailable(() => user.call("GET", "/api/clients")),
    ]);
    expect(health).toBeGreaterThanOrEqual(timeoutMs);
    expect(health).toBeLessThan(2 * timeoutMs); // a retry would have taken two timeouts
    expect(read).toBeGreaterThanOrEqual(2 * timeoutMs);
  });
});

describe("the error line of an unavailable database", () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    await setGateway("up");
  });

  it.each<[GatewayState, RegExp]>([
    ["down", /^request failed: /],
    ["hang", /timed out$/],
    // The gateway answers, and passes on why it could not reach its database.
    ["backend-lost", /^HTTP status 500: Couldn't connect to compute node: connection refused 127\.0\.0\.1:\d+$/],
  ])("says why when it is %s, and nothing of the request", { timeout: 20_000 }, async (state, reason) => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, "error").mockImplementation((text: string) => void lines.push(JSON.parse(text)));
    vi.spyOn(console, "log").mockImplementation(() => {});
    const user = await newUser();
    await setGateway(state);
    const response = await user.call("GET", `/api/clients/${randomId("c")}`);
    await expectProblem(response, 503);
    const [line] = lines.filter((entry) => entry.message === "unavailable");
    expect(line).toMatchObject({
      level: "error",
      requestId: response.headers.get("X-Request-Id"),
      error: { causes: expect.arrayContaining(["DatabaseUnavailableError", "NeonDbError"]), connection: expect.stringMatching(reason) },
    });
    expect(JSON.stringify(lines)).not.toContain(user.token);
  });
});
