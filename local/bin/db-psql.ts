// `npm run db:psql [-- --port N]`: the local PGlite database (.data/pglite, the one `npm run dev` uses, migrated
// first) served over PostgreSQL's wire protocol on loopback, for psql or any PostgreSQL tool, until Ctrl-C.
// The local Neon gateway's connection string is for the Neon driver over HTTP, not for psql: this is.
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { assertPortFree, checkOrExit, parsePort } from "../tooling/dev-checks.ts";
import { claimLocalDatabase, openMigratedPglite } from "../tooling/local-database.ts";

const host = "127.0.0.1";
// Beside PostgreSQL's own 5432, which the machine's server may hold.
const DEFAULT_PORT = "5433";
// psql and a GUI side by side; PGlite runs their statements one at a time.
const MAX_CONNECTIONS = 4;

const { values: options } = parseArgs({ options: { port: { type: "string", default: DEFAULT_PORT } } });
const port = await checkOrExit("db:psql", async () => {
  const chosen = parsePort(options.port, "--port");
  await assertPortFree(host, chosen, (next) => `npm run db:psql -- --port ${next}`);
  return chosen;
});
const { databaseUrl, dataDir } = await claimLocalDatabase("db:psql");
if (databaseUrl !== undefined) {
  console.log('db:psql: DATABASE_URL names a PostgreSQL server already; open it with: psql "$DATABASE_URL"');
  process.exit(0);
}

const { db } = await openMigratedPglite(dataDir);
const server = new PGLiteSocketServer({ db, host, port, maxConnections: MAX_CONNECTIONS });
await server.start();

const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.once("SIGINT", stop).once("SIGTERM", stop);

// Only now, with the signal handlers in place: whoever reads this line may connect, or stop it.
console.log(
  `db:psql: ${relative(process.cwd(), dataDir) || dataDir} served on ${host}:${port} (Ctrl-C stops). Connect with: ` +
    `psql "postgresql://postgres@${host}:${port}/postgres"`,
);
