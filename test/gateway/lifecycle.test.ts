// Starting, stopping and restarting the gateway, and migrations: what the dev runner and the fault drill rely on.
import type { PGlite } from "@electric-sql/pglite";
import { type NeonDbError, neon, neonConfig } from "@neondatabase/serverless";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openPglite } from "../../local/gateway/backends";
import { startNeonGateway } from "../../local/gateway/gateway";
import { keptClusterFile, pgliteOptions } from "../../local/gateway/pristine-cluster";
import { migratePglite, migratePostgres, migrationsFolder } from "../../local/gateway/migrations";
import { freePort } from "../support/node/free-port";
import { connectionString, databaseUrl, isPostgres, uniqueName } from "../support/node/gateway-fixture";

const sql = neon(connectionString);
const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta/_journal.json"), "utf8")) as {
  entries: { tag: string }[];
};

describe("lifecycle", () => {
  it("closes promptly with a statement in flight, restarts on the same port with the same data, migrates idempotently", { timeout: 30_000 }, async () => {
    const tempDir = await mkdtemp(join(tmpdir(), "gateway-test-"));
    const dataDir = isPostgres ? undefined : join(tempDir, "not-yet/created"); // the gateway makes the folders
    const table = uniqueName("restart");
    try {
      // freePort's, not port 0's: between the two gateways, no outgoing connection can take the port.
      const first = await startNeonGateway({ port: await freePort(), databaseUrl, dataDir, migrate: true, connectionString });
      neonConfig.fetchEndpoint = first.url;
      await sql.query(`CREATE TABLE ${table} (id int primary key)`);
      await sql.query(`INSERT INTO ${table} VALUES (1)`);

      // PGlite runs a statement synchronously, so only real PostgreSQL can have one still running at close.
      const inFlight = sql.query(`SELECT pg_sleep(${isPostgres ? 30 : 0})`).then(
        () => "answered",
        (err: NeonDbError) => err.message,
      );
      await expect.poll(() => first.stats().requests).toBe(3);
      const started = Date.now();
      await first.close();
      // Far below the 30 s statement, so it shows close() did not wait for it, and far above any CI stall.
      expect(Date.now() - started).toBeLessThan(15_000);
      if (isPostgres) expect(await inFlight).toMatch(/^Error connecting to database/);
      await expect(sql.query("SELECT 1")).rejects.toThrow(/Error connecting to database/);

      const second = await startNeonGateway({ port: first.port, databaseUrl, dataDir, migrate: true, connectionString });
      try {
        expect(second.url).toBe(first.url);
        expect(await sql.query(`SELECT id FROM ${table}`)).toEqual([{ id: 1 }]);
        // Migrating twice applied each migration once, and the project's table is there.
        const applied = await sql.query("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
        expect(applied).toEqual([{ n: journal.entries.length }]);
        expect(await sql.query("SELECT to_regclass('public.clients') IS NOT NULL AS migrated")).toEqual([{ migrated: true }]);
        await sql.query(`DROP TABLE ${table}`);
      } finally {
        await second.close();
      }
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  });

  it("treats a migrations folder without a journal as nothing to apply, without touching the database", async () => {
    const empty = await mkdtemp(join(tmpdir(), "no-migrations-"));
    const untouchable = new Proxy({}, {
      get: () => {
        throw new Error("the database was used");
      },
    }) as PGlite;
    try {
      for (const folder of [empty, join(empty, "missing")]) {
        await migratePglite(untouchable, folder);
        await migratePostgres("postgres://nobody:pw@127.0.0.1:1/none", folder); // would fail with ECONNREFUSED
      }
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("starts a new PGlite database from the kept copy of initdb's files, not from initdb", { timeout: 30_000 }, async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), "pristine-")), "pglite");
    try {
      await pgliteOptions(); // keeps the copy, unless an earlier start did
      const kept = readFileSync(keptClusterFile);
      const options = await pgliteOptions(dataDir);
      // The very bytes kept: a new initdb would differ (each cluster gets a system identifier of its own).
      expect(Buffer.from(await options.loadDataDir!.arrayBuffer()).equals(kept)).toBe(true);
      const backend = await openPglite(dataDir);
      try {
        expect(await backend.migrate()).toEqual({ applied: journal.entries.length, total: journal.entries.length });
      } finally {
        await backend.close();
      }
      expect(await pgliteOptions(dataDir)).toEqual({ dataDir }); // a folder that holds a cluster is opened as it is
    } finally {
      await rm(join(dataDir, ".."), { recursive: true, force: true });
    }
  });

  it("fails to start when the port is taken", { timeout: 15_000 }, async () => {
    const holder = createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    try {
      const { port } = holder.address() as AddressInfo;
      await expect(startNeonGateway({ port, databaseUrl })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      holder.close();
    }
  });

  it("fails to start with a clear error when PostgreSQL is unreachable", async () => {
    await expect(startNeonGateway({ port: 0, databaseUrl: "postgres://postgres:pw@127.0.0.1:1/test" })).rejects.toThrow(
      /^cannot reach PostgreSQL: connect ECONNREFUSED/,
    );
  });
});
