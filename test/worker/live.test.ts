// GET /api/clients/live: every socket of a user receives each of the user's changes once, as it commits, and
// nobody else's; the token is checked before the upgrade, and its expiry and the socket limit close sockets.
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, LIVE_PROTOCOL, MAX_SOCKETS_PER_USER } from "../../src/live/protocol";
import { call, changesPage, clientOf, createClient, expectProblem, newUser, nowSeconds, randomId, signToken } from "../support/api";
import { type ChangeMessage, openSocket, type Socket, upgrade } from "../support/live";

// Long enough for a message that was going to arrive (published through waitUntil and a Durable Object) to arrive.
const SETTLE_MS = 300;
const settle = (ms = SETTLE_MS) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token for `userId` that expires in one to two seconds (exp counts whole seconds), and when. */
async function shortLivedToken(userId: string) {
  const exp = nowSeconds() + 2;
  return { token: await signToken(userId, { exp }), expiresAt: exp * 1000 };
}

/** Waits for `count` messages on the socket, then a while longer: it must have received exactly these. */
async function expectMessages(socket: Socket, count: number): Promise<ChangeMessage[]> {
  await expect.poll(() => socket.messages.length).toBeGreaterThanOrEqual(count);
  await settle();
  expect(socket.messages).toHaveLength(count);
  return socket.messages;
}

describe("live changes", () => {
  it("sends a create to every socket of its user, once, and nothing to another user's socket", async () => {
    const user = await newUser();
    const other = await newUser();
    const [first, second, stranger] = await Promise.all([openSocket(user.token), openSocket(user.token), openSocket(other.token)]);
    const client = await createClient(user, { id: randomId("c") });
    const expected = { type: "change", seq: 1, op: "created", client };
    expect(await expectMessages(first!, 1)).toEqual([expected]);
    expect(await expectMessages(second!, 1)).toEqual([expected]);
    expect(stranger!.messages).toEqual([]);
  });

  it("sends one created message for three simultaneous creates of one id (one 201, two 200)", async () => {
    const user = await newUser();
    const socket = await openSocket(user.token);
    const id = randomId("c");
    const responses = await Promise.all(["A", "B", "C"].map((name) => user.call("POST", "/api/clients", { body: { id, name } })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 201]);
    const created = await clientOf(responses.find((response) => response.status === 201)!);
    expect(await expectMessages(socket, 1)).toEqual([{ type: "change", seq: 1, op: "created", client: created }]);
  });

  it("sends an update with the ETag the PATCH answered, and a delete with the id and the last ETag, seq one apart", async () => {
    const user = await newUser();
    const socket = await openSocket(user.token);
    const client = await createClient(user, { id: randomId("c") });
    await expectMessages(socket, 1);
    const patched = await user.call("PATCH", `/api/clients/${client.id}`, { body: { company: "ACME" } });
    expect(patched.status).toBe(200);
    const updated = await clientOf(patched);
    expect(updated.etag).toBe(patched.headers.get("ETag"));
    expect(updated.etag).not.toBe(client.etag);
    await expectMessages(socket, 2);
    expect((await user.call("DELETE", `/api/clients/${client.id}`)).status).toBe(204);
    const [, update, remove] = await expectMessages(socket, 3);
    expect(update).toEqual({ type: "change", seq: 2, op: "updated", client: updated });
    expect(remove).toEqual({ type: "change", seq: 3, op: "deleted", client: { id: client.id, etag: updated.etag } });
  });

  it("sends one created message for a create repeated under its Idempotency-Key", async () => {
    const user = await newUser();
    const socket = await openSocket(user.token);
    const key = randomId("key");
    const send = () => user.call("POST", "/api/clients", { body: { name: "Keyed" }, headers: { "Idempotency-Key": key } });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(await expectMessages(socket, 1)).toEqual([{ type: "change", seq: 1, op: "created", client: await clientOf(first) }]);
  });

  // Hibernation: the object may be evicted while its sockets stay open, and wakes with them for the next change.
  it("keeps serving a user's sockets after the object was evicted, and still closes them when their token expires", async () => {
    const user = await newUser();
    const shortLived = await shortLivedToken(user.id);
    const expiring = await openSocket(shortLived.token);
    const socket = await openSocket(user.token);
    const feed = env.USER_FEEDS.getByName(user.id);
    await evictDurableObject(feed);
    const client = await createClient(user);
    expect(await expectMessages(socket, 1)).toMatchObject([{ seq: 1, op: "created", client }]);
    await evictDurableObject(feed);
    await settle(shortLived.expiresAt - Date.now() + 50);
    await runDurableObjectAlarm(feed);
    await expect.poll(() => expiring.closed.code).toBe(CLOSE_CODES.tokenExpired.code);
    expect(socket.closed).toEqual({});
  });

  // A browser's socket.close() sends a Close frame without a code: it must be answered, or the tab waits and reports 1006.
  it("completes the close handshake of a client that closes without a code", async () => {
    const user = await newUser();
    const socket = await openSocket(user.token);
    socket.socket.close();
    await expect.poll(() => socket.closed.code).toBe(1005);
  });

  it("lets a reconnecting tab catch up on exactly the changes it missed", async () => {
    const user = await newUser();
    expect(await changesPage(user)).toEqual({ changes: [], next: 0 });
    const socket = await openSocket(user.token);
    const seen = [await createClient(user), await createClient(user)];
    const messages = await expectMessages(socket, seen.length);
    const lastSeen = messages.at(-1)!.seq;
    expect(lastSeen).toBe(seen.length);
    socket.socket.close(1000, "tab asleep");
    await expect.poll(() => socket.closed.code).toBe(1000);

    const missed = [await createClient(user), await createClient(user)];
    const patched = await user.call("PATCH", `/api/clients/${seen[0]!.id}`, { body: { name: "Renamed" } });
    expect((await user.call("DELETE", `/api/clients/${missed[0]!.id}`)).status).toBe(204);
    const renamed = await clientOf(patched);
    expect(socket.messages).toHaveLength(seen.length);

    const caughtUp = await changesPage(user, `?after=${lastSeen}`);
    expect(caughtUp).toEqual({
      changes: [
        { seq: 3, op: "created", client: missed[0] },
        { seq: 4, op: "created", client: missed[1] },
        { seq: 5, op: "updated", client: renamed },
        { seq: 6, op: "deleted", client: { id: missed[0]!.id, etag: missed[0]!.etag } },
      ],
      next: 6,
    });
    expect(await changesPage(user, `?after=${caughtUp.next}`)).toEqual({ changes: [], next: 6 });
    expect(await changesPage(user)).toEqual({ changes: [], next: 6 });
  });
});

describe("opening a live socket", () => {
  // Each refused with the problem the same token gets on an HTTP route, before any upgrade.
  it.each([
    ["an expired token", async () => `bearer.${await signToken(randomId("user"), { exp: nowSeconds() - 60 })}`],
    ["a token with an invalid signature", async () => `bearer.${await sign({ sub: randomId("user"), exp: nowSeconds() + 600 }, "another-secret", "HS256")}`],
    ["no token", async () => undefined],
  ])("401 for %s, as on every route", async (_, bearer) => {
    const offered = await bearer();
    const response = await call("GET", "/api/clients/live", { headers: upgrade([LIVE_PROTOCOL, offered].filter(Boolean).join(", ")) });
    expect(response.webSocket).toBeNull();
    const problem = await expectProblem(response, 401);
    const viaHttp = await call("GET", "/api/clients", { headers: offered ? { Authorization: `Bearer ${offered.slice("bearer.".length)}` } : {} });
    const httpProblem = await expectProblem(viaHttp, 401);
    expect({ ...problem, requestId: undefined }).toEqual({ ...httpProblem, requestId: undefined });
    expect(response.headers.get("WWW-Authenticate")).toBe(viaHttp.headers.get("WWW-Authenticate"));
  });

  it("426 without Upgrade: websocket, 400 when clients-api.v1 is not offered", async () => {
    const user = await newUser();
    const plain = await user.call("GET", "/api/clients/live");
    expect((await expectProblem(plain, 426)).type).toBe("urn:clients-api:problem:upgrade-required");
    expect(plain.headers.get("Upgrade")).toBe("websocket");
    const unversioned = await call("GET", "/api/clients/live", { headers: upgrade(`clients-api.v0, bearer.${user.token}`) });
    expect(unversioned.webSocket).toBeNull();
    expect((await expectProblem(unversioned, 400)).detail).toContain(LIVE_PROTOCOL);
  });
});

describe("closing live sockets", () => {
  it("closes a socket with 4001 when its token expires, and leaves a socket with a later token open", async () => {
    const user = await newUser();
    const shortLived = await shortLivedToken(user.id);
    const expiring = await openSocket(shortLived.token);
    const lasting = await openSocket(user.token);
    await settle(shortLived.expiresAt - Date.now() + 50);
    // The alarm may have fired on its own already; if not, fire it now instead of waiting for the scheduler.
    await runDurableObjectAlarm(env.USER_FEEDS.getByName(user.id));
    await expect.poll(() => expiring.closed).toEqual({ code: CLOSE_CODES.tokenExpired.code, reason: CLOSE_CODES.tokenExpired.reason });
    expect(lasting.closed).toEqual({});
    const client = await createClient(user);
    expect(await expectMessages(lasting, 1)).toMatchObject([{ op: "created", client }]);
    expect(expiring.messages).toEqual([]);
  });

  // The runtime's alarms stop at 2189; a token's exp is its issuer's choice, and the HTTP routes take any.
  it("keeps a socket whose token expires after the latest alarm the runtime can set", async () => {
    const user = await newUser();
    const farFuture = await signToken(user.id, { exp: 10_000_000_000 });
    expect((await call("GET", "/api/clients", { token: farFuture })).status).toBe(200);
    const socket = await openSocket(farFuture);
    const client = await createClient(user);
    expect(await expectMessages(socket, 1)).toMatchObject([{ op: "created", client }]);
    expect(await runDurableObjectAlarm(env.USER_FEEDS.getByName(user.id))).toBe(true);
    expect(socket.closed).toEqual({});
  });

  it(`closes a user's socket beyond ${MAX_SOCKETS_PER_USER} with 4008, keeping the first ${MAX_SOCKETS_PER_USER}`, { timeout: 60_000 }, async () => {
    const user = await newUser();
    const sockets = await Promise.all(Array.from({ length: MAX_SOCKETS_PER_USER }, () => openSocket(user.token)));
    const extra = await openSocket(user.token);
    await expect.poll(() => extra.closed).toEqual({ code: CLOSE_CODES.tooManySockets.code, reason: CLOSE_CODES.tooManySockets.reason });
    // The first ones are still open and still served.
    const client = await createClient(user);
    await expect.poll(() => sockets.filter((socket) => socket.messages.length === 1).length).toBe(MAX_SOCKETS_PER_USER);
    for (const socket of sockets) {
      expect(socket.closed).toEqual({});
      expect(socket.messages).toMatchObject([{ seq: 1, op: "created", client }]);
    }
    expect(extra.messages).toEqual([]);
  });
});
