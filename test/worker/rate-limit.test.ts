// Per-user rate limits with the Workers Rate Limiting binding, as the local runtime emulates it. The
// suite's own limiters are generous (vitest.config.ts); here the worker gets strict ones, allowing 3
// requests a minute, in their place: real bindings, only their limits differ.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RATE_LIMITS } from "../../src/http/rate-limits";
import { call, createClient, expectProblem, newUser, randomId, type User } from "../support/api";

const STRICT_LIMIT = 3;
const { STRICT_WRITE_LIMITER, STRICT_READ_LIMITER } = env as Env & Record<"STRICT_WRITE_LIMITER" | "STRICT_READ_LIMITER", RateLimit>;
const strictLimits = { WRITE_LIMITER: STRICT_WRITE_LIMITER, READ_LIMITER: STRICT_READ_LIMITER };

const callStrict = (user: User, method: string, path: string, body?: unknown) => user.call(method, path, { body, settings: strictLimits });

// The emulated limiter counts in windows aligned to the clock's minutes: a test that needs its requests
// counted in one window starts with a few seconds of it left at least.
const WINDOW_MS = 60_000;
const NEEDED_MS = 5_000;
async function startInOneWindow() {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < NEEDED_MS) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

// The policies as wrangler.toml configures them (test/contract checks the generated module against it).
const WRITES = `"writes";q=${RATE_LIMITS.write.limit};w=${RATE_LIMITS.write.period}`;
const READS = `"reads";q=${RATE_LIMITS.read.limit};w=${RATE_LIMITS.read.period}`;

async function expectRateLimited(response: Response) {
  const problem = await expectProblem(response, 429);
  expect(problem.type).toBe("urn:clients-api:problem:rate-limited");
  expect(response.headers.get("Retry-After")).toBe("60");
  expect([WRITES, READS]).toContain(response.headers.get("RateLimit-Policy"));
}

/** Uses up `user`'s strict write allowance with creates, and returns their ids. */
async function exhaustWrites(user: User) {
  const ids: string[] = [];
  for (let n = 0; n < STRICT_LIMIT; n++) {
    const response = await callStrict(user, "POST", "/api/clients", { name: `Client ${n}` });
    expect(response.status).toBe(201);
    ids.push(((await response.json()) as { client: { id: string } }).client.id);
  }
  return ids;
}

const TIMEOUT_MS = 20_000;

describe("per-user rate limits", () => {
  it("a write over the limit answers 429 problem+json with Retry-After, and writes no row", { timeout: TIMEOUT_MS }, async () => {
    await startInOneWindow();
    const user = await newUser();
    const [first] = await exhaustWrites(user);
    const refusedId = randomId("c");
    await expectRateLimited(await callStrict(user, "POST", "/api/clients", { id: refusedId, name: "Over the limit" }));
    await expectRateLimited(await callStrict(user, "PATCH", `/api/clients/${first}`, { name: "Changed over the limit" }));
    await expectRateLimited(await callStrict(user, "DELETE", `/api/clients/${first}`));
    // Seen through the suite's generous limiters: nothing of the refused writes reached the database.
    await expectProblem(await user.call("GET", `/api/clients/${refusedId}`), 404);
    expect(await (await user.call("GET", `/api/clients/${first}`)).json()).toMatchObject({ client: { name: "Client 0" } });
    expect(((await (await user.call("GET", "/api/clients")).json()) as { clients: unknown[] }).clients).toHaveLength(STRICT_LIMIT);
  });

  it("a limited user leaves other users unaffected", { timeout: TIMEOUT_MS }, async () => {
    await startInOneWindow();
    const [limited, other] = await Promise.all([newUser(), newUser()]);
    await exhaustWrites(limited);
    await expectRateLimited(await callStrict(limited, "POST", "/api/clients", { name: "Refused" }));
    expect((await callStrict(other, "POST", "/api/clients", { name: "Accepted" })).status).toBe(201);
  });

  it("reads have a limit of their own, and a limited reader may still write", { timeout: TIMEOUT_MS }, async () => {
    await startInOneWindow();
    const user = await newUser();
    const { id } = await createClient(user);
    for (let n = 0; n < STRICT_LIMIT; n++) expect((await callStrict(user, "GET", `/api/clients/${id}`)).status).toBe(200);
    await expectRateLimited(await callStrict(user, "GET", `/api/clients/${id}`));
    await expectRateLimited(await callStrict(user, "GET", "/api/clients"));
    expect((await callStrict(user, "PATCH", `/api/clients/${id}`, { name: "Still writable" })).status).toBe(200);
  });

  it("counts a request before validating it", { timeout: TIMEOUT_MS }, async () => {
    await startInOneWindow();
    const user = await newUser();
    for (let n = 0; n < STRICT_LIMIT; n++) await expectProblem(await callStrict(user, "POST", "/api/clients", { unknown: n }), 400);
    await expectRateLimited(await callStrict(user, "POST", "/api/clients", { name: "Valid, but over the limit" }));
  });

  it("every /api response states the policy of the limit that counts it, 429s and 401s included", { timeout: TIMEOUT_MS }, async () => {
    const user = await newUser();
    const { id } = await createClient(user);
    const policies = async (responses: Promise<Response>[]) =>
      Promise.all(responses.map(async (pending) => {
        const response = await pending;
        await response.body?.cancel();
        return `${response.status} ${response.headers.get("RateLimit-Policy")}`;
      }));
    expect(
      await policies([
        user.call("GET", `/api/clients/${id}`),
        user.call("GET", "/api/clients?limit=0"),
        user.call("GET", "/api/nothing-here"),
        call("GET", "/api/clients"),
        user.call("PATCH", `/api/clients/${id}`, { body: { name: "Changed" } }),
        user.call("POST", "/api/clients", { body: {} }),
        user.call("DELETE", `/api/clients/${randomId("c")}`),
        call("POST", "/api/clients", { body: { name: "No token" } }),
      ]),
    ).toEqual([`200 ${READS}`, `400 ${READS}`, `404 ${READS}`, `401 ${READS}`, `200 ${WRITES}`, `400 ${WRITES}`, `404 ${WRITES}`, `401 ${WRITES}`]);
    await startInOneWindow();
    await exhaustWrites(user);
    const limited = await callStrict(user, "DELETE", `/api/clients/${id}`);
    expect(limited.headers.get("RateLimit-Policy")).toBe(WRITES);
    await expectRateLimited(limited);
  });
});
