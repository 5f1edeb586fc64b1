// The dev runner's start-up checks: each failure is a StartupError whose message is one line saying what is
// wrong and what to do, raised before anything is started.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { relative } from "node:path";
import { parseEnv } from "node:util";
import pg from "pg";
import { DataFolderInUseError } from "./data-lock.ts";
import { remoteDatabaseRefusal } from "./database-guard.ts";

export class StartupError extends Error {}

/**
 * Runs a script's checks before it starts anything: a StartupError (or a data folder in use) ends the process
 * with its one line, prefixed by the script's name, and exit code 1.
 */
export async function checkOrExit<T>(script: string, checks: () => T | Promise<T>): Promise<T> {
  try {
    return await checks();
  } catch (err) {
    if (!(err instanceof StartupError || err instanceof DataFolderInUseError)) throw err;
    console.error(`${script}: ${err.message}`);
    process.exit(1);
  }
}

const CONNECT_TIMEOUT_MS = 5000;

export function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new StartupError(`${source} must be a port number from 1 to 65535, not "${value}"`);
  }
  return port;
}

/** `another(next)` says how to choose another port, e.g. `npm run dev -- --port ${next}`. */
export async function assertPortFree(host: string, port: number, another: (next: number) => string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      const next = port < 65535 ? port + 1 : port - 1;
      reject(
        err.code === "EADDRINUSE"
          ? new StartupError(`port ${port} on ${host} is already in use: choose another with ${another(next)}`)
          : new StartupError(`cannot listen on ${host}:${port}: ${err.message}`),
      );
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

export type DevVars = { JWT_SECRET: string; DATABASE_URL: string };

/** The worker's secrets, as `wrangler dev` reads them from `file` (.dev.vars). */
export function readDevVars(file: string): DevVars {
  const shownAs = relative(process.cwd(), file) || file;
  const { JWT_SECRET, DATABASE_URL } = parseEnv(readFileSync(file, "utf8"));
  if (!JWT_SECRET) {
    throw new StartupError(`JWT_SECRET is empty in ${shownAs}: set it to a long random string (see .dev.vars.example)`);
  }
  assertPostgresUrl(DATABASE_URL, `DATABASE_URL in ${shownAs}`);
  return { JWT_SECRET, DATABASE_URL };
}

export function assertPostgresUrl(value: string | undefined, name: string): asserts value is string {
  // The value is never echoed: a mistyped URL may hold a password.
  const expected = "expected postgres://user:password@host:5432/database";
  if (!value || !URL.canParse(value)) throw new StartupError(`${name} is not a URL (${expected})`);
  const url = new URL(value);
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new StartupError(`${name} is a ${url.protocol}// URL, not a PostgreSQL one (${expected})`);
  }
  if (!url.hostname || url.pathname.length <= 1) {
    throw new StartupError(`${name} needs a host and a database name (${expected})`);
  }
}

/** Refuses a database on another machine (see database-guard.ts). */
export function assertLocalDatabase(databaseUrl: string | undefined, name?: string): void {
  const refusal = remoteDatabaseRefusal(databaseUrl, name);
  if (refusal) throw new StartupError(refusal);
}

function unreachableReason(code: string | undefined, message: string): string {
  if (code === "ECONNREFUSED") return "connection refused; is the server running and the port right?";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "no such host; is the host name right?";
  if (/timeout/i.test(message)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s; is the host right and reachable?`;
  return code ?? message;
}

/**
 * Connects once to the PostgreSQL of `databaseUrl`, and names what stops it: an unreachable server, a missing
 * password, a refused one, a missing database.
 */
async function assertDatabaseReachable(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const server = `${url.hostname}:${url.port || 5432}`;
  const database = decodeURIComponent(url.pathname.slice(1));
  const user = decodeURIComponent(url.username) || "postgres";
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection that fails after connecting would otherwise be an unhandled 'error' event.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    if (code === "3D000") {
      throw new StartupError(
        `database "${database}" does not exist on PostgreSQL at ${server} (DATABASE_URL): create it with ` +
          `createdb -h ${url.hostname} -p ${url.port || 5432} -U ${user} ${database}`,
      );
    }
    if (code === "28P01") {
      throw new StartupError(`PostgreSQL at ${server} refused the password of user "${user}" (DATABASE_URL): check it`);
    }
    if (code === "28000") throw new StartupError(`PostgreSQL at ${server} refused user "${user}" (DATABASE_URL): ${message}`);
    // node-postgres fails before sending anything when the server asks for a password it was not given.
    if (!url.password && code === undefined && /password/i.test(message)) {
      throw new StartupError(
        `PostgreSQL at ${server} asks for a password and DATABASE_URL has none: postgres://${user}:PASSWORD@${server}/${database}`,
      );
    }
    throw new StartupError(`cannot reach PostgreSQL at ${server} (DATABASE_URL): ${unreachableReason(code, message)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** DATABASE_URL as the local scripts that open it need it: a PostgreSQL URL, on this machine, answering. */
export async function assertUsableDatabase(databaseUrl: string): Promise<void> {
  assertPostgresUrl(databaseUrl, "DATABASE_URL");
  assertLocalDatabase(databaseUrl);
  await assertDatabaseReachable(databaseUrl);
}
