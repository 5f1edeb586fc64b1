// Idempotency-Key on a create without an id (draft-ietf-httpapi-idempotency-key-header): the same key
// and fields give the client the first request made, however often and however concurrently; other
// fields under the key are refused; each user's keys are their own; a key is remembered for a day.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_KEY_TTL_HOURS } from "../../src/db/clients";
import { clients, idempotencyKeys } from "../../src/db/schema";
import { clientOf, expectProblem, listAll, newUser, randomId, testDatabase, type User } from "../support/api";

const create = (user: User, key: string, body: Record<string, unknown> = { name: "Ada" }) =>
  user.call("POST", "/api/clients", { body, headers: { "Idempotency-Key": key } });

/** Moves `user`'s key back in time, past the period keys are remembered. */
async function expire(user: User, key: string) {
  await testDatabase()
    .update(idempotencyKeys)
    .set({ createdAt: sql`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS + 1})` })
    .where(and(eq(idempotencyKeys.userId, user.id), eq(idempotencyKeys.key, key)));
}

describe("POST /api/clients with Idempotency-Key", () => {
  it("201 the first time; the same key and fields again answer 200 with that client, every time", async () => {
    const user = await newUser();
    const key = randomId("key");
    const first = await create(user, key, { name: "Ada", email: "ada@example.com" });
    expect(first.status).toBe(201);
    const created = await clientOf(first);
    expect(first.headers.get("Location")).toBe(`/api/clients/${created.id}`);
    for (let n = 0; n < 3; n++) {
      // Absent and null are the same request: both store no phone.
      const again = await create(user, key, { name: "Ada", email: "ada@example.com", phone: null });
      expect(again.status).toBe(200);
      expect(again.headers.get("Location")).toBeNull();
      expect(again.headers.get("ETag")).toBe(created.etag);
      expect(await clientOf(again)).toEqual(created);
    }
    expect(await listAll(user)).toEqual([created]);
  });

  it("answers a repeat with the client as it is now, after it was changed", async () => {
    const user = await newUser();
    const key = randomId("key");
    const created = await clientOf(await create(user, key));
    const changed = await clientOf(await user.call("PATCH", `/api/clients/${created.id}`, { body: { company: "ACME" } }));
    const again = await create(user, key);
    expect(again.status).toBe(200);
    expect(await clientOf(again)).toEqual(changed);
  });

  it("20 concurrent creates with one key: one 201, nineteen 200, all the same client, one row", async () => {
    const user = await newUser();
    const key = randomId("key");
    const responses = await Promise.all(Array.from({ length: 20 }, () => create(user, key, { name: "Stampede" })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(19);
    const returned = await Promise.all(responses.map(clientOf));
    for (const client of returned) expect(client).toEqual(returned[0]);
    expect(await listAll(user)).toEqual([returned[0]]);
  });

  it("422 problem for the same key with other fields, and nothing is written", async () => {
    const user = await newUser();
    const key = randomId("key");
    const created = await clientOf(await create(user, key, { name: "Ada" }));
    for (const other of [{ name: "Grace" }, { name: "Ada", company: "ACME" }]) {
      const problem = await expectProblem(await create(user, key, other), 422);
      expect(problem.type).toBe("urn:clients-api:problem:idempotency-key-reused");
    }
    expect(await listAll(user)).toEqual([created]);
  });

  it("keeps each user's keys apart", async () => {
    const [alice, bob] = await Promise.all([newUser(), newUser()]);
    const key = randomId("key");
    const ofAlice = await create(alice, key, { name: "Ada" });
    const ofBob = await create(bob, key, { name: "Grace" });
    expect([ofAlice.status, ofBob.status]).toEqual([201, 201]);
    expect((await clientOf(ofAlice)).id).not.toBe((await clientOf(ofBob)).id);
  });

  it("different keys make different clients", async () => {
    const user = await newUser();
    const responses = [await create(user, randomId("key")), await create(user, randomId("key"))];
    expect(responses.map((response) => response.status)).toEqual([201, 201]);
    expect(await listAll(user)).toHaveLength(2);
  });

  it(`forgets a key after ${IDEMPOTENCY_KEY_TTL_HOURS} hours: the same key then makes a new client, with any fields`, async () => {
    const user = await newUser();
    const key = randomId("key");
    const first = await clientOf(await create(user, key, { name: "Ada" }));
    await expire(user, key);
    const second = await create(user, key, { name: "Grace" });
    expect(second.status).toBe(201);
    const made = await clientOf(second);
    expect(made.id).not.toBe(first.id);
    // And the new request is what the key stands for now.
    expect(await clientOf(await create(user, key, { name: "Grace" }))).toEqual(made);
  });

  it("a keyed create removes expired keys, of any user", async () => {
    const [user, idle] = await Promise.all([newUser(), newUser()]);
    const idleKey = randomId("key");
    await create(idle, idleKey);
    await expire(idle, idleKey);
    // Each create prunes a few of the oldest expired keys: enough creates reach this one whatever other
    // tests left behind.
    const db = testDatabase();
    const remaining = async () =>
      db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.userId, idle.id), eq(idempotencyKeys.key, idleKey)));
    for (let n = 0; n < 20 && (await remaining()).length > 0; n++) expect((await create(user, randomId("key"))).status).toBe(201);
    expect(await remaining()).toEqual([]);
  });

  it("404 problem for a repeat whose client has been deleted since, and makes none", async () => {
    const user = await newUser();
    const key = randomId("key");
    const created = await clientOf(await create(user, key));
    expect((await user.call("DELETE", `/api/clients/${created.id}`)).status).toBe(204);
    await expectProblem(await create(user, key), 404);
    expect(await listAll(user)).toEqual([]);
  });

  it("plays no part when the body has an id: the id decides, as without a key", async () => {
    const user = await newUser();
    const key = randomId("key");
    const id = randomId("c");
    const first = await create(user, key, { id, name: "Ada" });
    expect(first.status).toBe(201);
    const other = await create(user, key, { id: randomId("c"), name: "Grace" });
    expect(other.status).toBe(201);
    const again = await create(user, key, { id, name: "Changed" });
    expect(again.status).toBe(200);
    expect((await clientOf(again)).name).toBe("Ada");
    const stored = await testDatabase().select().from(idempotencyKeys).where(eq(idempotencyKeys.userId, user.id));
    expect(stored).toEqual([]);
  });

  it.each([
    ["empty", ""],
    ["over 255 characters", "k".repeat(256)],
    ["with a space", "two words"],
    ["with a tab inside", "tab\tinside"],
  ])("400 problem for a key %s, and nothing is written", async (_, key) => {
    const user = await newUser();
    const problem = await expectProblem(await create(user, key), 400);
    expect(problem.detail).toContain("Idempotency-Key");
    expect(await listAll(user)).toEqual([]);
  });

  it("accepts 255 visible ASCII characters, quotes included", async () => {
    const user = await newUser();
    expect((await create(user, `"${"!~".repeat(126)}"`.slice(0, 255))).status).toBe(201);
  });

  it("a keyed create refused for its email writes no key: the key still makes the client once the email is free", async () => {
    const user = await newUser();
    const taken = await clientOf(await user.call("POST", "/api/clients", { body: { name: "Owner", email: "x@example.com" } }));
    const key = randomId("key");
    await expectProblem(await create(user, key, { name: "Ada", email: "x@example.com" }), 409);
    await user.call("DELETE", `/api/clients/${taken.id}`);
    expect((await create(user, key, { name: "Ada", email: "x@example.com" })).status).toBe(201);
    const rows = await testDatabase().select().from(clients).where(eq(clients.userId, user.id));
    expect(rows).toHaveLength(1);
  });
});
