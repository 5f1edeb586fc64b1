import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import type { Socket } from "node:net";
import pg from "pg";
import type { MigrationOutcome } from "./migrations.ts";
import { pgliteOptions } from "./pristine-cluster.ts";

// Drizzle's migrators, loaded only by a gateway asked to migrate: loading drizzle-orm costs a start about half a
// second of CPU (Node reads its 180 KB package.json again for each of its modules).
const migrations = () => import("./migrations.ts");

export type BackendKind = "postgres" | "pglite";

/**
 * Where the gateway's statements run. Both kinds are a node-postgres pool, so the protocol code is the same
 * for both: real PostgreSQL through TCP connections, PGlite through its node-postgres adapter with one connection.
 */
export interface Backend {
  kind: BackendKind;
  pool: pg.Pool;
  /** Stops the statement running on `client` because its HTTP caller went away. */
  cancel(client: pg.PoolClient): Promise<void>;
  /**
   * Counts what `client` receives from now on, and breaks its connection once that passes `maxBytes`, before a
   * value too large for a JavaScript string can arrive whole (decoding it would throw outside any request).
   */
  limitIncoming(client: pg.PoolClient, maxBytes: number): IncomingLimit;
  /** The statements that leave a session as a new one would be (after any open transaction is rolled back). */
  sessionReset: string[];
  migrate(): Promise<MigrationOutcome>;
  close(): Promise<void>;
}

export interface IncomingLimit {
  /** Whether the limit was passed (the connection is then broken). */
  readonly exceeded: boolean;
  stop(): void;
}

// Neon sends every value as Postgres text output: node-postgres must not parse any type.
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

// A connection that breaks while checked out (server restart, pg_terminate_backend) emits 'error' with no
// listener unless one is set, which would crash the gateway; the failed query then reports the error instead.
function keepAliveOnConnectionErrors(pool: pg.Pool): pg.Pool {
  pool.on("error", () => {}); // idle connection lost: the pool drops it and opens another when needed
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

export async function openPostgres(databaseUrl: string): Promise<Backend> {
  // max 10: concurrent requests run on separate connections (so races between them really happen) while the
  // gateways of several parallel test projects stay well under the server's max_connections.
  const pool = keepAliveOnConnectionErrors(
    new pg.Pool({ connectionString: databaseUrl, max: 10, types: rawText, connectionTimeoutMillis: 30_000 }),
  );
  // Cancelling goes through its own connection: the main pool may be exhausted by the statements to cancel.
  const control = keepAliveOnConnectionErrors(new pg.Pool({ connectionString: databaseUrl, max: 1 }));
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    await Promise.all([pool.end(), control.end()]);
    throw new Error(`cannot reach PostgreSQL: ${(err as Error).message}`, { cause: err });
  }
  return {
    kind: "postgres",
    pool,
    async cancel(client) {
      const { processID } = client as pg.PoolClient & { processID: number };
      await control.query("SELECT pg_cancel_backend($1)", [processID]);
    },
    limitIncoming(client, maxBytes) {
      const socket = (client as pg.PoolClient & { connection: { stream: Socket } }).connection.stream;
      let received = 0;
      const limit = {
        exceeded: false,
        stop: () => socket.off("data", countBytes),
      };
      function countBytes(chunk: Buffer) {
        received += chunk.length;
        if (received > maxBytes && !limit.exceeded) {
          limit.exceeded = true;
          socket.destroy(); // the running query then fails, and the pool drops the connection
        }
      }
      socket.prependListener("data", countBytes); // before node-postgres parses the chunk
      return limit;
    },
    sessionReset: ["DISCARD ALL"],
    migrate: async () => (await migrations()).migratePostgres(databaseUrl),
    // The main pool first: its connections come back only once the cancels queued on `control` have run.
    close: async () => {
      await pool.end();
      await control.end();
    },
  };
}

// PGlite's wire-protocol reader decodes values with a default TextDecoder, which drops a leading U+FEFF
// from each one; PostgreSQL returns it as stored. The reader is built in PGlite's constructor, so the
// constructor alone runs with a decoder that keeps the BOM.
function newPgliteKeepingByteOrderMarks(options: PGliteOptions): PGlite {
  const global = globalThis as unknown as { TextDecoder: typeof TextDecoder };
  const PlatformDecoder = global.TextDecoder;
  global.TextDecoder = class extends PlatformDecoder {
    constructor(label?: string, options?: { fatal?: boolean }) {
      super(label, { fatal: options?.fatal ?? false, ignoreBOM: true });
    }
  };
  try {
    return new PGlite(options);
  } finally {
    global.TextDecoder = PlatformDecoder;
  }
}

export async function openPglite(dataDir?: string): Promise<Backend> {
  const pglite = newPgliteKeepingByteOrderMarks(await pgliteOptions(dataDir));
  await pglite.waitReady;
  const { rows } = await pglite.query<{ user: string }>("SELECT session_user AS user");
  const initialUser = `"${rows[0]!.user.replaceAll('"', '""')}"`;
  // A fresh adapter per client: an ended adapter must not deliver its late 'end' event to a new client.
  class PgliteClient extends pg.Client {
    constructor() {
      super({ ...createPgConfig(pglite), types: rawText } as pg.ClientConfig);
    }
  }
  // One connection, never dropped for idleness: PGlite is single-user, and the pool's queue serialises the
  // requests so a batch's transaction never interleaves with another request.
  const pool = keepAliveOnConnectionErrors(new pg.Pool({ max: 1, idleTimeoutMillis: 0, Client: PgliteClient }));
  return {
    kind: "pglite",
    pool,
    // PGlite runs a statement synchronously to its end: there is nothing in flight to interrupt.
    cancel: async () => {},
    // Nor to stop early: PGlite hands over each result whole, and the gateway checks its size then.
    limitIncoming: () => ({ exceeded: false, stop: () => {} }),
    // PGlite's SET SESSION AUTHORIZATION DEFAULT (part of DISCARD ALL) keeps the role last set: only naming
    // the initial user restores it.
    sessionReset: [`SET SESSION AUTHORIZATION ${initialUser}`, "DISCARD ALL"],
    migrate: async () => (await migrations()).migratePglite(pglite),
    close: async () => {
      await pool.end();
      await pglite.close();
    },
  };
}
