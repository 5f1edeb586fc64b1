// The unmodified Neon driver and drizzle-orm/neon-http against the gateway: what the worker relies on.
import { NeonDbError } from "@neondatabase/serverless";
import { DrizzleQueryError, eq, sql as drizzleSql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  date,
  doublePrecision,
  integer,
  interval,
  json,
  jsonb,
  numeric,
  pgTable,
  real,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { databaseUrl, isPostgres, neonErrorOf, startTestGateway, uniqueName } from "../support/node/gateway-fixture";

const { sql, db, createTable, gateway } = await startTestGateway();

const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });

describe("types", () => {
  it("round-trips every common type through Drizzle", async () => {
    const name = await createTable(
      "types",
      `id int primary key, b bool, i2 int2, i4 int4, i8 int8, num numeric, f4 float4, f8 float8, t text,
       j json, jb jsonb, tstz timestamptz, ts timestamp, d date, by bytea, ia int4[], ta text[], u uuid,
       iv interval, nothing text`,
    );
    const table = pgTable(name, {
      id: integer().primaryKey(),
      b: boolean(),
      i2: smallint(),
      i4: integer(),
      i8: bigint({ mode: "bigint" }),
      num: numeric(),
      f4: real(),
      f8: doublePrecision(),
      t: text(),
      j: json(),
      jb: jsonb(),
      tstz: timestamp({ withTimezone: true }),
      ts: timestamp(),
      d: date(),
      by: bytea(),
      ia: integer().array(),
      ta: text().array(),
      u: uuid(),
      iv: interval(),
      nothing: text(),
    });
    const row = {
      id: 1,
      b: true,
      i2: -32768,
      i4: 2147483647,
      i8: 9007199254740993n, // beyond a double's exact range: must travel as text
      num: "12345678901234567890.123456789",
      f4: 1.5,
      f8: 0.1,
      t: `it's "quoted", back\\slash, new\nline, 日本語 🎉`,
      j: { list: [1, "x", null], nested: { yes: true } },
      jb: { list: [1, "x", null], nested: { yes: true } },
      tstz: new Date("2024-02-29T12:34:56.789Z"),
      ts: new Date("1999-12-31T23:59:59.125Z"),
      d: "2024-02-29",
      by: Buffer.from([0, 1, 127, 128, 255]),
      ia: [1, -2, 3],
      ta: ["a", "b c", '"q"', "with,comma", "back\\slash", "NULL", ""],
      u: randomUUID(),
      iv: "1 day 02:03:04",
      nothing: null,
    };
    await db.insert(table).values(row);
    const [stored] = await db.select().from(table).where(eq(table.id, 1));
    expect(stored).toEqual(row);
  });

  it("sends real type OIDs, which the driver's own parsers turn into JS values", async () => {
    const cases: [type: string, value: unknown, oid: number, expected: unknown][] = [
      ["bool", false, 16, false],
      ["int2", 12, 21, 12],
      ["int4", -7, 23, -7],
      ["int8", "9223372036854775807", 20, "9223372036854775807"],
      ["numeric", "0.000000000000000000001", 1700, "0.000000000000000000001"],
      ["float4", 0.25, 700, 0.25],
      ["float8", -1e300, 701, -1e300],
      ["json", { a: 1 }, 114, { a: 1 }],
      // The driver sends a JS array as a Postgres array literal: JSON arrays go as JSON text.
      ["jsonb", JSON.stringify([{ b: [true] }]), 3802, [{ b: [true] }]],
      // drizzle-orm/neon-http (created in this file) makes the driver return date/time types as Postgres text.
      ["timestamptz", new Date("2020-01-02T03:04:05.678Z"), 1184, "2020-01-02 03:04:05.678+00"],
      ["bytea", Buffer.from("hi"), 17, Buffer.from("hi")],
      ["int4[]", [5, null, 6], 1007, [5, null, 6]],
      ["uuid", "00000000-0000-4000-8000-000000000000", 2950, "00000000-0000-4000-8000-000000000000"],
      ["text", null, 25, null],
      // A leading byte-order mark is data: PostgreSQL keeps it, so the gateway must too.
      ["text", "\ufeffbom", 25, "\ufeffbom"],
    ];
    for (const [type, value, oid, expected] of cases) {
      const result = await sql.query(`SELECT $1::${type} AS v`, [value], { fullResults: true });
      expect(result.fields[0]?.dataTypeID, type).toBe(oid);
      expect(result.rows[0]?.v, type).toEqual(expected);
    }
    // Dates and intervals come back as Postgres's own text (DateStyle ISO), which Drizzle parses itself.
    const [raw] = await sql.query("SELECT '2024-02-29'::date AS d, '1 year 2 mons 3 days 04:05:06.5'::interval AS i, " +
      "'2024-02-29 01:02:03.5'::timestamp AS ts", [], { arrayMode: true, types: { getTypeParser: () => (v: string) => v } });
    expect(raw).toEqual(["2024-02-29", "1 year 2 mons 3 days 04:05:06.5", "2024-02-29 01:02:03.5"]);
  });
});

describe("errors", () => {
  it("carries every field of a primary-key and a unique-index violation (23505)", async () => {
    const name = await createTable("dupes", "user_id text, id text, email text, PRIMARY KEY (user_id, id)");
    await sql.query(`CREATE UNIQUE INDEX ${name}_email_key ON ${name} (user_id, lower(email))`);
    const table = pgTable(name, { userId: text("user_id"), id: text(), email: text() });
    await db.insert(table).values({ userId: "u1", id: "a", email: "A@example.com" });

    const violation = (constraint: string, detail: string) => ({
      code: "23505",
      constraint,
      detail,
      table: name,
      schema: "public",
      severity: "ERROR",
      message: `duplicate key value violates unique constraint "${constraint}"`,
    });
    const pkey = await neonErrorOf(db.insert(table).values({ userId: "u1", id: "a" }));
    expect(pkey).toMatchObject(violation(`${name}_pkey`, "Key (user_id, id)=(u1, a) already exists."));
    const email = await neonErrorOf(db.insert(table).values({ userId: "u1", id: "b", email: "a@EXAMPLE.com" }));
    expect(email).toMatchObject(
      violation(`${name}_email_key`, "Key (user_id, lower(email))=(u1, a@example.com) already exists."),
    );
  });

  it("carries the column of a not-null violation (23502)", async () => {
    const name = await createTable("notnull", "id int primary key, label text NOT NULL");
    const table = pgTable(name, { id: integer().primaryKey(), label: text() });
    const err = await neonErrorOf(db.insert(table).values({ id: 1, label: null }));
    expect(err).toMatchObject({ code: "23502", column: "label", table: name, schema: "public", severity: "ERROR" });
    expect(err.detail).toContain("Failing row contains");
  });

  it("reports bad input (22P02), a missing table (42P01) and two statements in one query (42601)", async () => {
    const badInput = await neonErrorOf(db.execute(drizzleSql`SELECT ${"abc"}::int`));
    expect(badInput).toMatchObject({ code: "22P02", severity: "ERROR", table: undefined, constraint: undefined });
    expect(badInput.message).toBe('invalid input syntax for type integer: "abc"');

    const missing = await neonErrorOf(db.execute(drizzleSql.raw("SELECT * FROM no_such_table_here")));
    expect(missing).toMatchObject({ code: "42P01", severity: "ERROR", position: "15" });

    const twoStatements = await neonErrorOf(db.execute(drizzleSql.raw("SELECT 1; SELECT 2")));
    expect(twoStatements).toMatchObject({ code: "42601", severity: "ERROR" });
    expect(twoStatements.message).toBe("cannot insert multiple commands into a prepared statement");
  });

  it("throws an unwrapped NeonDbError from db.batch", async () => {
    const name = await createTable("batcherr", "id int primary key");
    const table = pgTable(name, { id: integer().primaryKey() });
    const err = await db.batch([db.insert(table).values({ id: 1 }), db.insert(table).values({ id: 1 })]).catch((e) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err).toMatchObject({ code: "23505", constraint: `${name}_pkey` });
    expect(await db.select().from(table)).toEqual([]); // the batch's first insert was rolled back too
  });
});

describe("transactions", () => {
  it("commits every statement of sql.transaction", async () => {
    const name = await createTable("txok", "id int primary key");
    const results = await sql.transaction([
      sql.query(`INSERT INTO ${name} VALUES (1)`),
      sql.query(`INSERT INTO ${name} VALUES (2) RETURNING id`),
      sql.query(`SELECT count(*)::int AS n FROM ${name}`),
    ]);
    expect(results).toEqual([[], [{ id: 2 }], [{ n: 2 }]]);
    expect(await sql.query(`SELECT id FROM ${name} ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("rolls everything back when one statement fails", async () => {
    const name = await createTable("txfail", "id int primary key");
    const err = await sql
      .transaction([sql.query(`INSERT INTO ${name} VALUES (1)`), sql.query(`INSERT INTO ${name} VALUES (1)`)])
      .catch((e) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("23505");
    expect(await sql.query(`SELECT * FROM ${name}`)).toEqual([]);
  });

  it("honours the isolation level, read-only and deferrable options", async () => {
    const settings = await sql.transaction(
      [sql`SHOW transaction_isolation`, sql`SHOW transaction_read_only`, sql`SHOW transaction_deferrable`],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect(settings).toEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    expect(await sql.transaction([sql`SHOW transaction_isolation`])).toEqual([[{ transaction_isolation: "read committed" }]]);
    const levels = { ReadUncommitted: "read uncommitted", ReadCommitted: "read committed", RepeatableRead: "repeatable read" };
    for (const [isolationLevel, shown] of Object.entries(levels)) {
      const level = await sql.transaction([sql`SHOW transaction_isolation`], {
        isolationLevel: isolationLevel as keyof typeof levels,
      });
      expect(level).toEqual([[{ transaction_isolation: shown }]]);
    }

    const name = await createTable("txro", "id int");
    const err = await sql.transaction([sql.query(`INSERT INTO ${name} VALUES (1)`)], { readOnly: true }).catch((e) => e);
    expect(err.code).toBe("25006"); // read_only_sql_transaction
  });
});

describe("fullResults", () => {
  it("gives command and rowCount for INSERT, UPDATE, DELETE and SELECT", async () => {
    const name = await createTable("full", "id int primary key, v text");
    const run = (query: string) => sql.query(query, [], { fullResults: true });
    expect(await run(`INSERT INTO ${name} VALUES (1, 'a'), (2, 'b'), (3, 'c')`)).toMatchObject({ command: "INSERT", rowCount: 3 });
    expect(await run(`UPDATE ${name} SET v = 'z' WHERE id < 3`)).toMatchObject({ command: "UPDATE", rowCount: 2 });
    expect(await run(`DELETE FROM ${name} WHERE id = 1`)).toMatchObject({ command: "DELETE", rowCount: 1 });
    const select = await run(`SELECT id, v FROM ${name} ORDER BY id`);
    expect(select).toMatchObject({ command: "SELECT", rowCount: 2, rows: [{ id: 2, v: "z" }, { id: 3, v: "c" }] });
    expect(select.fields.map((f) => [f.name, f.dataTypeID, f.columnID])).toEqual([["id", 23, 1], ["v", 25, 2]]);
    expect(await run(`ALTER TABLE ${name} ADD COLUMN w int`)).toMatchObject({ command: "ALTER", rowCount: null });
  });
});

describe("concurrency", () => {
  it("answers 100 concurrent requests", async () => {
    const name = await createTable("many", "id int primary key");
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => sql.query(`INSERT INTO ${name} VALUES ($1) RETURNING id`, [i])),
    );
    expect(answers.map(([row]) => row?.id)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${name}`)).toEqual([{ n: 100 }]);
  });

  it("lets exactly one of 50 concurrent INSERTs of one key succeed; the others get 23505", async () => {
    const name = await createTable("race", "id text primary key, writer int");
    const table = pgTable(name, { id: text().primaryKey(), writer: integer() });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, writer) => db.insert(table).values({ id: "same", writer })),
    );
    const failures = outcomes.filter((o) => o.status === "rejected").map((o) => (o.reason as DrizzleQueryError).cause);
    expect(outcomes.length - failures.length).toBe(1);
    expect(failures.map((e) => [(e as NeonDbError).code, (e as NeonDbError).constraint])).toEqual(
      Array(49).fill(["23505", `${name}_pkey`]),
    );
    expect(await db.select().from(table)).toHaveLength(1);
  });
});

// PGlite has a single connection: the gateway must hand it to one request at a time.
if (!isPostgres) {
  describe("PGlite", () => {
    it("never interleaves a batch with another request", async () => {
      const name = await createTable("serial", "seq serial primary key, batch int, step int");
      await Promise.all(
        Array.from({ length: 30 }, (_, batch) =>
          Promise.all([
            sql.transaction([0, 1, 2].map((step) => sql.query(`INSERT INTO ${name} (batch, step) VALUES ($1, $2)`, [batch, step]))),
            sql.query(`INSERT INTO ${name} (batch, step) VALUES ($1, 9)`, [100 + batch]),
          ]),
        ),
      );
      const rows = await sql.query(`SELECT batch, step FROM ${name} ORDER BY seq`);
      const batches = rows.filter((r) => r.batch < 100);
      expect(batches).toHaveLength(90);
      for (let i = 0; i < batches.length; i += 3) {
        // Each batch's three inserts took three consecutive sequence values: nothing ran in between.
        expect(rows.indexOf(batches[i + 2]!) - rows.indexOf(batches[i]!)).toBe(2);
      }
    });
  });
}

// Only real PostgreSQL has more than one connection: PGlite serialises requests, so no race can happen there.
if (isPostgres) {
  describe("real PostgreSQL races", () => {
    it("runs concurrent INSERTs of one key on separate connections, each waiting on the first's lock", { timeout: 20_000 }, async () => {
      const name = await createTable("lockrace", "id text primary key, writer int");
      // An uncommitted insert of the key, held outside the gateway, makes every gateway INSERT wait on its lock.
      const holder = new pg.Client({ connectionString: databaseUrl });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query(`INSERT INTO ${name} VALUES ('same', -1)`);
        const inserts = Array.from({ length: 50 }, (_, writer) =>
          sql.query(`INSERT INTO ${name} VALUES ('same', $1)`, [writer]).then(
            () => "inserted",
            (e: NeonDbError) => e.code,
          ),
        );
        const waiting = async () => {
          await holder.query("SELECT pg_stat_clear_snapshot()"); // a transaction otherwise sees one frozen view
          const { rows } = await holder.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
            [`INSERT INTO ${name} %`],
          );
          return rows[0].n as number;
        };
        // Every connection of the gateway's pool is blocked inside its own INSERT at the same time.
        await expect.poll(waiting, { timeout: 10_000 }).toBe(gateway.stats().connections.total);
        expect(gateway.stats().connections.total).toBeGreaterThan(1);
        await holder.query("ROLLBACK"); // the first waiter now wins; the rest fail on its row
        const outcomes = await Promise.all(inserts);
        expect(outcomes.filter((o) => o === "inserted")).toHaveLength(1);
        expect(outcomes.filter((o) => o === "23505")).toHaveLength(49);
      } finally {
        await holder.end();
      }
      expect(await sql.query(`SELECT count(*)::int AS n FROM ${name}`)).toEqual([{ n: 1 }]);
    });

    it("answers with the server's error when its backend is terminated mid-query, then serves on a new connection", async () => {
      const marker = uniqueName("terminate_me");
      const running = sql.query(`SELECT pg_sleep(30) /* ${marker} */`).catch((e: NeonDbError) => e);
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        const terminate = () =>
          admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()", [
            `%${marker}%`,
          ]);
        await expect.poll(async () => (await terminate()).rowCount).toBe(1);
      } finally {
        await admin.end();
      }
      expect(await running).toMatchObject({ code: "57P01", severity: "FATAL" }); // admin_shutdown
      for (let i = 0; i < gateway.stats().connections.total + 1; i++) {
        expect(await sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
      }
    });
  });
}
