// The data layer against the real database through the gateway: round trips per create, the
// "deleted meanwhile" retry, and the error shapes the driver and Drizzle really throw.
import { neon, NeonDbError } from "@neondatabase/serverless";
import { env } from "cloudflare:workers";
import { DrizzleQueryError } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { describe, expect, it } from "vitest";
import { createDb, loopbackEndpoint } from "../../src/db/client";
import { createClient, deleteClient, findClient } from "../../src/db/clients";
import { violatedUniqueConstraint } from "../../src/db/errors";
import { CLIENTS_EMAIL_INDEX, CLIENTS_PRIMARY_KEY, clients } from "../../src/db/schema";
import { randomId } from "./helpers";

/** A database whose round trips are counted, with a hook that runs before a chosen one. */
function instrumentedDb() {
  const db = createDb({ databaseUrl: env.DATABASE_URL, fetchEndpoint: env.NEON_FETCH_ENDPOINT, timeoutMs: 5000 });
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
    expect((await createClient(counted, row)).created).toBe(true);
    expect(probe.roundTrips).toBe(1);
    probe.roundTrips = 0;
    const again = await createClient(counted, { ...row, name: "Other" });
    expect(again).toMatchObject({ created: false, client: { name: "Ada" } });
    expect(probe.roundTrips).toBe(2);
  });

  it("inserts again when the existing row was deleted before it could be read", async () => {
    const { db, counted, probe } = instrumentedDb();
    const row = newRow();
    await createClient(db, row);
    // Round trip 1 is the failing INSERT, 2 the read: delete the row just before the read.
    probe.before.set(2, () => deleteClient(db, row.userId, row.id));
    const result = await createClient(counted, { ...row, name: "Second" });
    expect(result).toMatchObject({ created: true, client: { name: "Second" } });
    expect(probe.roundTrips).toBe(3);
    expect(await findClient(db, row.userId, row.id)).toMatchObject({ name: "Second" });
  });

  it("throws an email conflict at once instead of resolving it", async () => {
    const { db, counted, probe } = instrumentedDb();
    const first = { ...newRow(), email: "x@example.com" };
    await createClient(db, first);
    const error = await createClient(counted, { ...newRow(first.userId), email: "X@example.com" }).catch((e: unknown) => e);
    expect(violatedUniqueConstraint(error)).toBe(CLIENTS_EMAIL_INDEX);
    expect(probe.roundTrips).toBe(1);
  });
});

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

describe("NEON_FETCH_ENDPOINT", () => {
  it.each(["http://127.0.0.1:4444/sql", "http://localhost:4444/sql", "http://[::1]:4444/sql", "https://127.8.9.10/sql"])(
    "is honoured on the loopback host of %s",
    (endpoint) => expect(loopbackEndpoint(endpoint)).toBe(endpoint),
  );

  it.each([
    "https://api.example.com/sql",
    "http://127.0.0.1.example.com/sql",
    "http://localhost.example.com/sql",
    "http://10.0.0.1/sql",
    "ftp://127.0.0.1/sql",
    "not a url",
    "",
    undefined,
  ])("is ignored for %s, so credentials never go elsewhere", (endpoint) => {
    expect(loopbackEndpoint(endpoint)).toBeUndefined();
  });
});
