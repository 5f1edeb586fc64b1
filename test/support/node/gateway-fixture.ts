import { neon, neonConfig, NeonDbError } from "@neondatabase/serverless";
import { DrizzleQueryError } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { randomUUID } from "node:crypto";
import { afterAll, expect } from "vitest";
import { startNeonGateway } from "../../../local/gateway/gateway";
import { uniqueName } from "./unique-name";

/** Real PostgreSQL when DATABASE_URL is set (CI runs both), embedded PGlite otherwise. */
export const databaseUrl = process.env.DATABASE_URL;
export const isPostgres = Boolean(databaseUrl);

/** What a worker sends; the gateways of these tests accept it, and run the statements on their own backend. */
export const connectionString = `postgresql://app:${randomUUID()}@localhost/app`;

export { uniqueName } from "./unique-name";

/**
 * Starts a gateway for the calling test file (port 0), points the unmodified Neon driver at it, and stops it
 * after the file, dropping the tables made with `createTable`.
 */
export async function startTestGateway() {
  const gateway = await startNeonGateway({ port: 0, databaseUrl, connectionString });
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

/** The NeonDbError that Drizzle wrapped, after checking the wrapping. */
export async function neonErrorOf(query: Promise<unknown>): Promise<NeonDbError> {
  const err = await query.then(
    () => expect.fail("the query should have failed"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DrizzleQueryError);
  const cause = (err as DrizzleQueryError).cause;
  expect(cause).toBeInstanceOf(NeonDbError);
  expect(cause?.name).toBe("NeonDbError");
  return cause as NeonDbError;
}

/** What the driver always sends. */
export const driverHeaders = {
  "Neon-Connection-String": connectionString,
  "Neon-Raw-Text-Output": "true",
  "Neon-Array-Mode": "true",
};

/** The keys of Neon's error body, in its order. */
export const errorKeys = (
  "message code detail hint position internalPosition internalQuery severity where table column schema dataType " +
  "constraint file line routine"
).split(" ");

/** Sends `body` (JSON unless a string) to a gateway's /sql endpoint as the driver does, and reads the answer. */
export async function postSql<Body>(url: string, body: unknown, headers: Record<string, string> = driverHeaders) {
  const response = await fetch(url, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers,
  });
  return { response, json: (await response.json()) as Body };
}
