// The worker's health check (GET /health) says ok only when the database can serve the API's statements:
// a database that answers `select 1` but has no clients table, or whose role may not use it, is not ready.
// src/db is written for Workers and names fetch's DOM types (RequestInfo).
/// <reference lib="dom" />
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createScratchDatabase } from "../../local/tooling/scratch-database";
import { startNeonGateway } from "../../local/gateway/gateway";
import { checkDatabase } from "../../src/db/clients";
import type { Database } from "../../src/db/connection";
import { DatabaseUnavailableError } from "../../src/db/errors";
import { connectionString, databaseUrl, isPostgres, uniqueName } from "../support/node/gateway-fixture";

/** Runs `work` with a database on a gateway of its own, in memory on PGlite, created and dropped on PostgreSQL. */
async function withDatabase(options: { migrate: boolean; user?: string }, work: (db: Database) => Promise<void>) {
  const own = databaseUrl ? await createScratchDatabase(databaseUrl, uniqueName("health")) : undefined;
  try {
    let url = own?.url;
    if (url && options.migrate) await startNeonGateway({ port: 0, databaseUrl: url, migrate: true }).then((g) => g.close());
    if (url && options.user) url = Object.assign(new URL(url), { username: options.user, password: "" }).toString();
    const gateway = await startNeonGateway({ port: 0, databaseUrl: url, migrate: options.migrate && !own, connectionString });
    neonConfig.fetchEndpoint = gateway.url;
    try {
      await work(drizzle({ client: neon(connectionString) }));
    } finally {
      await gateway.close();
    }
  } finally {
    await own?.drop();
  }
}

describe("the health check", () => {
  it("passes on a migrated database", { timeout: 60_000 }, async () => {
    await withDatabase({ migrate: true }, async (db) => {
      await expect(checkDatabase(db)).resolves.toBeUndefined();
    });
  });

  // PGlite has one user, a superuser: only PostgreSQL can also have a role without rights on the table.
  it("fails on a database that answers select 1 but has no clients table, or (PostgreSQL) no rights on it", { timeout: 90_000 }, async () => {
    await withDatabase({ migrate: false }, async (db) => {
      expect(await db.execute("select 1 as one")).toMatchObject({ rows: [{ one: 1 }] });
      await expect(checkDatabase(db)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    });
    if (!isPostgres) return;
    const role = uniqueName("no_rights");
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await withDatabase({ migrate: true, user: role }, async (db) => {
        expect(await db.execute("select 1 as one")).toMatchObject({ rows: [{ one: 1 }] });
        await expect(checkDatabase(db)).rejects.toThrow("the database's role may not read and write clients");
      });
    } finally {
      await admin.query(`DROP ROLE ${role}`);
      await admin.end();
    }
  });
});
