import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePgliteDb } from "drizzle-orm/pglite/migrator";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { redactPassword } from "./connection-string";

/** drizzle-kit's output folder; resolved from this file so the working directory does not matter. */
export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

// Before the first `drizzle-kit generate` there is no journal: nothing to apply, and not an error.
const hasMigrations = (folder: string) => existsSync(`${folder}/meta/_journal.json`);

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

// `npm run db:migrate`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error("db:migrate: set DATABASE_URL to the database to migrate (postgres://...)");
    process.exit(2);
  }
  if (!hasMigrations(migrationsFolder)) {
    console.log(`db:migrate: no migrations in ${migrationsFolder}`);
  } else {
    try {
      await migratePostgres(databaseUrl);
      console.log(`db:migrate: ${redactPassword(databaseUrl)} is up to date`);
    } catch (err) {
      console.error(`db:migrate failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
}
