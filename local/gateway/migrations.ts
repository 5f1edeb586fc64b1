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
export async function migratePostgres(databaseUrl: string, folder = migrationsFolder): Promise<MigrationOutcome> {
  if (!hasMigrations(folder)) return { applied: 0, total: 0 };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('drizzle migrations'))");
    const before = await appliedCount(client);
    await migrateNodePg(drizzleNodePg(client), { migrationsFolder: folder });
    const total = await appliedCount(client);
    return { applied: total - before, total };
  } finally {
    await client.end(); // also releases the session's advisory lock
  }
}

export async function migratePglite(pglite: PGlite, folder = migrationsFolder): Promise<MigrationOutcome> {
  if (!hasMigrations(folder)) return { applied: 0, total: 0 };
  const before = await appliedCount(pglite);
  await migratePgliteDb(drizzlePglite(pglite), { migrationsFolder: folder });
  const total = await appliedCount(pglite);
  return { applied: total - before, total };
}

/** How many migrations a run applied, and how many the database has had in all. */
export interface MigrationOutcome {
  applied: number;
  total: number;
}

/** One line on what a migration run did, for the scripts that run one. */
export function describeMigration({ applied, total }: MigrationOutcome, where: string): string {
  if (applied === 0) return `nothing to apply: ${where} already has all ${total} migrations`;
  return `applied ${applied} migration${applied === 1 ? "" : "s"} to ${where} (${total} in all)`;
}

// Drizzle's migrator keeps one row per applied migration in drizzle.__drizzle_migrations (none before the first run).
async function appliedCount(db: { query(sql: string): Promise<{ rows: unknown[] }> }): Promise<number> {
  const table = "drizzle.__drizzle_migrations";
  const { rows: found } = await db.query(`SELECT to_regclass('${table}') IS NOT NULL AS exists`);
  if (!(found[0] as { exists: boolean }).exists) return 0;
  const { rows } = await db.query(`SELECT count(*)::int AS count FROM ${table}`);
  return (rows[0] as { count: number }).count;
}
