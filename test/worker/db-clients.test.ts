// The data layer against the real database through the gateway: round trips per create, the
// "deleted meanwhile" retry, and the error shapes the driver and Drizzle really throw.
import { neon, NeonDbError } from "@neondatabase/serverless";
import { env } from "cloudflare:workers";
import { DrizzleQueryError } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { describe, expect, it } from "vitest";
import { changesAfter } from "../../src/db/changes";
import type { Database } from "../../src/db/connection";
import { createClient, createClientWithKey, deleteClient, findClient, listClients, updateClient } from "../../src/db/clients";
import { IdempotencyKeyReusedError, StaleVersionError, UniqueViolationError, violatedUniqueConstraint } from "../../src/db/errors";
import { CLIENTS_EMAIL_INDEX, CLIENTS_PRIMARY_KEY, clients } from "../../src/db/schema";
import { randomId, testDatabase } from "../support/api";

/** A database whose round trips are counted, with a hook that runs before a chosen one. */
function instrumentedDb() {
  const db = testDatabase();
  const sql = neon(env.DATABASE_URL);
  const probe = { roundTrips: 0, before: new Map<number, () => Promise<unknown>>() };
  const counted = new Proxy(sql, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== "query") return value;
      return async (...args: Parameters<typeof sql.query>) => {
        await probe.before.get(++probe.roundTrips)?.();
        return target.query(...args);
      };
    },
  });
  return { db, counted: drizzle({ client: counted }), probe };
}

const newRow = (userId = randomId("user")) => ({ userId, id: randomId("c"), name: "Ada" });

describe("createClient", () => {
  it("takes one round trip for a new client and two for an existing one", async () => {
    const { counted, probe } = instrumentedDb();
    const row = newRow();
    expect((await createClient(counted, row)).change).toMatchObject({ op: "created", client: row });
    expect(probe.roundTrips).toBe(1);
    probe.roundTrips = 0;
    const again = await createClient(counted, { ...row, name: "Other" });
    expect(again).toEqual({ client: expect.objectContaining({ name: "Ada" }) });
    expect(probe.roundTrips).toBe(2);
  });

  it("inserts again when the existing row was deleted before it could be read", async () => {
    const { db, counted, probe } = instrumentedDb();
    const row = newRow();
    await createClient(db, row);
    // Round trip 1 is the failing INSERT, 2 the read: delete the row just before the read.
    probe.before.set(2, () => deleteClient(db, row.userId, row.id));
    const result = await createClient(counted, { ...row, name: "Second" });
    expect(result).toMatchObject({ change: { op: "created" }, client: { name: "Second" } });
    expect(probe.roundTrips).toBe(3);
    expect(await findClient(db, row.userId, row.id)).toMatchObject({ name: "Second" });
  });

  it("returns the row of a create that got in after the delete, unchanged, instead of failing", async () => {
    const { db, counted, probe } = instrumentedDb();
    const row = newRow();
    const first = await createClient(db, row);
    // Trips: INSERT (fails), read (the row deleted before it), INSERT ... ON CONFLICT (another create
    // of the id just before it).
    probe.before.set(2, () => deleteClient(db, row.userId, row.id));
    let third: Awaited<ReturnType<typeof createClient>> | undefined;
    probe.before.set(3, async () => (third = await createClient(db, { ...row, name: "Third" })));
    const result = await createClient(counted, { ...row, name: "Second" });
    expect(third?.change).toBeDefined();
    expect(result).toEqual({ client: third?.client });
    expect(result.client.version).not.toBe(first.client.version);
    expect(probe.roundTrips).toBe(3);
    expect(await findClient(db, row.userId, row.id)).toEqual(third?.client);
  });

  it("throws an email conflict at once instead of resolving it", async () => {
    const { db, counted, probe } = instrumentedDb();
    const first = { ...newRow(), email: "x@example.com" };
    await createClient(db, first);
    const error = await createClient(counted, { ...newRow(first.userId), email: "X@example.com" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect((error as UniqueViolationError).field).toBe("email");
    expect(violatedUniqueConstraint(error)).toBe(CLIENTS_EMAIL_INDEX);
    expect(probe.roundTrips).toBe(1);
  });
});

describe("conditional writes", () => {
  it("take one round trip when the version is current, two when it is not (to tell 412 from 404)", async () => {
    const { db, counted, probe } = instrumentedDb();
    const row = newRow();
    const { client } = await createClient(db, row);
    const updated = (await updateClient(counted, row.userId, row.id, { name: "New" }, [client.version]))?.client;
    expect(updated?.version).toBeGreaterThan(client.version);
    expect(probe.roundTrips).toBe(1);
    probe.roundTrips = 0;
    await expect(updateClient(counted, row.userId, row.id, { name: "Lost" }, [client.version])).rejects.toBeInstanceOf(StaleVersionError);
    await expect(deleteClient(counted, row.userId, row.id, [client.version])).rejects.toBeInstanceOf(StaleVersionError);
    expect(probe.roundTrips).toBe(4);
    expect(await findClient(db, row.userId, row.id)).toEqual(updated);
    expect(await deleteClient(counted, row.userId, row.id, [updated!.version])).toMatchObject({ op: "deleted", client: updated });
    expect(await updateClient(db, row.userId, row.id, { name: "Gone" }, [updated!.version])).toBeUndefined();
  });
});

describe("the change log", () => {
  const lastPosition = async (db: Database, userId: string) => (await changesAfter(db, userId, { limit: 1 })).last;

  it("is written by the write's own statement: an update and a delete still take one round trip each", async () => {
    const { db, counted, probe } = instrumentedDb();
    const row = newRow();
    await createClient(db, row);
    const updated = await updateClient(counted, row.userId, row.id, { name: "New" });
    expect(updated).toMatchObject({ seq: 2, op: "updated", client: { name: "New" } });
    expect(probe.roundTrips).toBe(1);
    probe.roundTrips = 0;
    expect(await deleteClient(counted, row.userId, row.id)).toEqual({ seq: 3, op: "deleted", client: updated!.client });
    expect(probe.roundTrips).toBe(1);
    expect((await changesAfter(db, row.userId, { after: 1, limit: 10 })).changes).toEqual([updated, { seq: 3, op: "deleted", client: updated!.client }]);
  });

  it("records nothing for a write that fails or changes nothing: the row and its change commit together", async () => {
    const { db } = instrumentedDb();
    const taken = { ...newRow(), email: "taken@example.com" };
    const other = newRow(taken.userId);
    await createClient(db, taken);
    await createClient(db, other);
    expect(await lastPosition(db, taken.userId)).toBe(2);
    await expect(createClient(db, { ...newRow(taken.userId), email: "TAKEN@example.com" })).rejects.toBeInstanceOf(UniqueViolationError);
    await expect(updateClient(db, taken.userId, other.id, { email: "taken@example.com" })).rejects.toBeInstanceOf(UniqueViolationError);
    // An existing id, and writes of a client that does not exist.
    expect((await createClient(db, { ...other, name: "Again" })).change).toBeUndefined();
    expect(await updateClient(db, taken.userId, "missing", { name: "Nobody" })).toBeUndefined();
    expect(await deleteClient(db, taken.userId, "missing")).toBeUndefined();
    expect(await lastPosition(db, taken.userId)).toBe(2);
    expect((await changesAfter(db, taken.userId, { after: 0, limit: 10 })).changes.map((change) => change.client.id)).toEqual([taken.id, other.id]);
  });
});

describe("createClientWithKey", () => {
  it("takes one round trip for a new client and two for a replay; other fields under the key are refused", async () => {
    const { counted, probe } = instrumentedDb();
    const key = randomId("key");
    const row = newRow();
    const first = await createClientWithKey(counted, row, key);
    expect(first?.change).toBeDefined();
    expect(probe.roundTrips).toBe(1);
    probe.roundTrips = 0;
    // A retry makes up another id: the key, not the id, makes it the same request.
    expect(await createClientWithKey(counted, { ...row, id: randomId("c") }, key)).toEqual({ client: first?.client });
    expect(probe.roundTrips).toBe(2);
    await expect(createClientWithKey(counted, { ...row, id: randomId("c"), name: "Other" }, key)).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });
});

describe("every query function retries a transient failure itself", () => {
  const unclassified = () => Promise.reject(new NeonDbError("something the driver did not expect"));
  const refused = () => Object.assign(new NeonDbError("Error connecting to database: fetch failed"), { sourceError: new TypeError("fetch failed") });

  it.each([
    ["createClient", (db: Db, row: Row) => createClient(db, { ...row, id: randomId("c") })],
    ["findClient", (db: Db, row: Row) => findClient(db, row.userId, row.id)],
    ["listClients", (db: Db, row: Row) => listClients(db, row.userId, { limit: 10 })],
    ["updateClient", (db: Db, row: Row) => updateClient(db, row.userId, row.id, { name: "Changed" })],
    ["deleteClient", (db: Db, row: Row) => deleteClient(db, row.userId, row.id)],
  ])("%s: one failed round trip, then the same statement again", async (_, operation) => {
    const { db, counted, probe } = instrumentedDb();
    const row = newRow();
    await createClient(db, row);
    probe.before.set(1, () => Promise.reject(refused()));
    await operation(counted, row);
    expect(probe.roundTrips).toBe(2);
  });

  it("does not retry a failure that says nothing about the connection", async () => {
    const { counted, probe } = instrumentedDb();
    probe.before.set(1, unclassified);
    const error = await findClient(counted, "u", "c").catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(NeonDbError);
    expect(probe.roundTrips).toBe(1);
  });
});

type Db = ReturnType<typeof instrumentedDb>["counted"];
type Row = ReturnType<typeof newRow>;

describe("errors the driver really throws", () => {
  it("the query builder: DrizzleQueryError with the NeonDbError in cause", async () => {
    const { db } = instrumentedDb();
    const row = newRow();
    await db.insert(clients).values(row);
    const error = await db.insert(clients).values(row).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect((error as DrizzleQueryError).cause).toBeInstanceOf(NeonDbError);
    expect(violatedUniqueConstraint(error)).toBe(CLIENTS_PRIMARY_KEY);
  });

  it("db.batch: a plain NeonDbError", async () => {
    const { db } = instrumentedDb();
    const row = newRow();
    await db.insert(clients).values(row);
    const error = await db.batch([db.insert(clients).values(row)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeonDbError);
    expect(violatedUniqueConstraint(error)).toBe(CLIENTS_PRIMARY_KEY);
  });
});
