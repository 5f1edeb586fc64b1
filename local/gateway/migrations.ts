import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePgliteDb } from "drizzle-orm/pglite/migrator";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** drizzle-kit's output folder; resolved from this file so the working directory does not matter. */
export const migrationsFolder = fileURLToPath(new URL("../../migrations", import.meta.url));

// Before the first `drizzle-kit generate` there is no journal: nothing to apply, and not an error.
export const hasMigrations = (folder: string) => existsSync(`${folder}/meta/_journal.json`);

/**
 * Applies pending migrations to a PostgreSQL database (local or Neon, over TCP). Several gateways may start
 * together against one database (parallel test projects): an advisory lock lets one migrate while the others
 * wait, then find nothing left to do, instead of racing on CREATE TABLE.
 */
export async function migratePostgres(databaseUrl: string, folder = migrationsFolder): Promise<void> {
  if (!hasMigrations(folder)) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('drizzle migrations'))");
    await migrateNodePg(drizzleNodePg(client), { migrationsFolder: folder });
  } finally {
    await client.end(); // also releases the session's advisory lock
  }
}

export async function migratePglite(pglite: PGlite, folder = migrationsFolder): Promise<void> {
  if (!hasMigrations(folder)) return;
  await migratePgliteDb(drizzlePglite(pglite), { migrationsFolder: folder });
}
