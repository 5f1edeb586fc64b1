import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { startNeonGateway } from "../../local/gateway";

/** Real PostgreSQL when DATABASE_URL is set (CI runs both), embedded PGlite otherwise. */
export const databaseUrl = process.env.DATABASE_URL;
export const isPostgres = Boolean(databaseUrl);

/** What a worker sends: the gateway accepts any URL Neon would, and runs the statements on its own backend. */
export const connectionString = "postgresql://app:app@localhost/app";

/** A fresh name: real PostgreSQL is shared by parallel test files and by repeated runs. */
export const uniqueName = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;

/**
 * Starts a gateway for the calling test file (port 0), points the unmodified Neon driver at it, and stops it
 * after the file, dropping the tables made with `createTable`.
 */
export async function startTestGateway() {
  const gateway = await startNeonGateway({ port: 0, databaseUrl });
  neonConfig.fetchEndpoint = gateway.url;
  const sql = neon(connectionString);
  const tables: string[] = [];
  afterAll(async () => {
    if (tables.length) await sql.query(`DROP TABLE IF EXISTS ${tables.join(", ")}`);
    await gateway.close();
  });
  return {
    gateway,
    sql,
    db: drizzle({ client: sql }),
    /** Creates a table with a fresh name from `columns` (SQL column definitions) and returns the name. */
    async createTable(prefix: string, columns: string) {
      const name = uniqueName(prefix);
      await sql.query(`CREATE TABLE ${name} (${columns})`);
      tables.push(name);
      return name;
    },
  };
}
