// `npm run neon:local`: the local Neon gateway on its own, for `wrangler dev` or any other Neon HTTP client.
import { parseArgs } from "node:util";
import { redactPassword } from "../gateway/connection-string.ts";
import { assertLocalDatabase, checkOrExit } from "../tooling/dev-checks.ts";

const usage = `Usage: npm run neon:local -- [options]
  --port N            listen port (default 4444; 0 picks a free one)
  --host ADDR         listen address (default 127.0.0.1)
  --database-url URL  run on this PostgreSQL (default: $DATABASE_URL; without either, embedded PGlite)
  --data-dir DIR      keep PGlite's files in DIR (default: in memory)
  --migrate           apply ./migrations before serving
  --cors              answer browsers' CORS preflights, allowing any origin (off: no web page can use it)
  --connection-string URL
                      the only connection string clients may use (default: one with a random password);
                      the ready line ends with it`;

function fail(message: string): never {
  console.error(`neon:local: ${message}\n\n${usage}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: "string", default: "4444" },
      host: { type: "string", default: "127.0.0.1" },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      migrate: { type: "boolean", default: false },
      "connection-string": { type: "string" },
      cors: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${args.port}`);
const databaseUrl = args["database-url"] ?? process.env.DATABASE_URL;
if (databaseUrl && args["data-dir"]) fail("--data-dir applies to PGlite only; drop it or the database URL");
await checkOrExit("neon:local", () => assertLocalDatabase(databaseUrl, args["database-url"] ? "--database-url" : "DATABASE_URL"));
// Loaded after the checks, so that a refusal comes at once.
const { startNeonGateway } = await import("../gateway/gateway.ts");

let gateway;
try {
  gateway = await startNeonGateway({
    port,
    host: args.host,
    databaseUrl,
    dataDir: args["data-dir"],
    migrate: args.migrate,
    connectionString: args["connection-string"],
    cors: args.cors,
  });
} catch (err) {
  console.error(`neon:local: could not start: ${(err as Error).message}`);
  process.exit(1);
}

const stop = () => {
  // A second signal while closing means "now".
  process.off("SIGINT", stop).off("SIGTERM", stop).once("SIGINT", () => process.exit(130));
  gateway.close().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`neon:local: error while stopping: ${err.message}`);
      process.exit(1);
    },
  );
};
process.once("SIGINT", stop).once("SIGTERM", stop);

// Only now, with the signal handlers in place: whoever reads this line may stop the gateway at once.
// The only line that shows the clients' password: they need it to connect.
const where = databaseUrl ? redactPassword(databaseUrl) : (args["data-dir"] ?? "in memory");
console.log(
  `Neon gateway ready at ${gateway.url} (backend: ${gateway.backend}, ${where}), connection string: ${gateway.connectionString}`,
);
