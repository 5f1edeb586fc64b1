// `npm run dev [-- --port N]`: the local Neon gateway (embedded PGlite kept in .data/, or $DATABASE_URL's
// PostgreSQL), migrations, and `wrangler dev` on http://127.0.0.1:$PORT (8787) pointed at the gateway.
// Checks first that it can start (one line and exit code 1 if not), prints one ready line once its own
// worker answers, then the worker's logs. However it ends, everything it started ends with it.
import { fileURLToPath } from "node:url";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { lockDataFolder } from "../tooling/data-lock.ts";
import { assertPortFree, assertUsableDatabase, checkOrExit, parsePort, readDevVars } from "../tooling/dev-checks.ts";
import type { NeonGateway } from "../gateway/gateway.ts";
import { type ProcessGroup, spawnGroup } from "../tooling/process-group.ts";
import { devVarsFile, ensureDevVars, signDevToken } from "../tooling/dev-token.ts";

const usage = `Usage: npm run dev [-- --port N] [--inspector-port N]
  --port N             port of the API (default: $PORT, else 8787)
  --inspector-port N   port of the worker's DevTools inspector (default: 9229, else a free one)
Environment: DATABASE_URL=postgres://... runs on that PostgreSQL instead of the embedded PGlite in .data/`;

const root = fileURLToPath(new URL("../..", import.meta.url));
const host = "127.0.0.1";
const READY_TIMEOUT_MS = 60_000;

// What has been started so far, for `stop` to end in order.
const started: { gateway?: NeonGateway; wrangler?: ProcessGroup } = {};
let ready = false;
let startupOutput = "";

let stopping: Promise<never> | undefined;
function stop(exitCode: number): Promise<never> {
  return (stopping ??= (async () => {
    if (!ready && startupOutput) process.stdout.write(startupOutput);
    await started.wrangler?.stop();
    await started.gateway?.close();
    process.exit(exitCode);
  })());
}
// Through `npm run dev`, a Ctrl-C arrives as supervise.ts's SIGTERM; run directly, as a SIGINT that reaches only
// this process (wrangler runs in its own process group). Either way wrangler stops first, then the gateway. A
// second SIGINT means "now"; the process group's guard still stops wrangler.
process.once("SIGINT", () => {
  process.once("SIGINT", () => process.exit(130));
  void stop(0);
});
process.once("SIGTERM", () => void stop(0));
process.on("uncaughtException", (err) => {
  console.error("dev: stopping after an unexpected error:", err);
  void stop(1);
});
process.on("unhandledRejection", (err) => {
  console.error("dev: stopping after an unexpected error:", err);
  void stop(1);
});

function fail(message: string): never {
  console.error(`dev: ${message}`);
  process.exit(1);
}

let options;
try {
  options = parseArgs({
    options: { port: { type: "string" }, "inspector-port": { type: "string" }, help: { type: "boolean" } },
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${usage}`);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

// Everything that can be checked before starting anything.
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = databaseUrl ? undefined : `${root}.data/pglite`;
const { port, inspectorPort, devVars } = await checkOrExit("dev", async () => {
  const port = options.port !== undefined ? parsePort(options.port, "--port") : parsePort(process.env.PORT ?? "8787", "PORT");
  const inspectorPort = options["inspector-port"] !== undefined ? parsePort(options["inspector-port"], "--inspector-port") : undefined;
  ensureDevVars();
  const devVars = readDevVars(devVarsFile);
  if (databaseUrl !== undefined) await assertUsableDatabase(databaseUrl);
  await assertPortFree(host, port, (next) => `PORT=${next} npm run dev, or npm run dev -- --port ${next}`);
  if (inspectorPort) await assertPortFree(host, inspectorPort, (next) => `npm run dev -- --inspector-port ${next}`);
  if (dataDir) lockDataFolder(dataDir);
  return { port, inspectorPort, devVars };
});

// Loaded only now: the checks above answer quickly without PGlite and the database drivers.
const { startNeonGateway } = await import("../gateway/gateway.ts");
const { redactPassword } = await import("../gateway/connection-string.ts");
// The gateway accepts exactly the connection string the worker reads from .dev.vars.
const gatewayOptions = { port: 0, databaseUrl, dataDir, migrate: true, connectionString: devVars.DATABASE_URL };
const gateway = (started.gateway = await startNeonGateway(gatewayOptions).catch(
  (err: Error) => fail(`could not start the local Neon gateway: ${err.message}`),
));
const wrangler = (started.wrangler = spawnGroup(
  `${root}node_modules/.bin/wrangler`,
  ["dev", "--env", "development", "--ip", host, "--port", String(port), "--var", `NEON_FETCH_ENDPOINT:${gateway.url}`,
    "--show-interactive-dev-session=false", ...(inspectorPort ? ["--inspector-port", String(inspectorPort)] : [])],
  {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      // The API reads nothing from Request.cf: skip wrangler's download of it (and its warning offline).
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      // Wrangler's "Ready on" line (below) and the request logs are info-level: a quieter WRANGLER_LOG would hide them.
      WRANGLER_LOG: process.env.WRANGLER_LOG === "debug" ? "debug" : "log",
    },
  },
));

// Wrangler's start-up banner is held back, and shown only if the start fails; after the ready line, its
// output (the worker's request logs) passes through. Its own "Ready on" line for our port tells that this
// wrangler holds the port: only then can an answer on the port be our worker's.
const url = `http://${host}:${port}`;
let bound = false;
wrangler.child.stdout!.on("data", (chunk: Buffer) => {
  if (ready) return void process.stdout.write(chunk);
  startupOutput += chunk;
  bound ||= stripVTControlCharacters(startupOutput).includes(`Ready on ${url}`);
});
wrangler.child.once("exit", (code, signal) => {
  if (stopping) return;
  console.error(`dev: wrangler exited (${code ?? signal})${ready ? "" : " before it was ready"}`);
  void stop(code || 1);
});

// Ready means our worker answered /health, which also proves the gateway and the database work.
async function waitForHealth() {
  for (const deadline = Date.now() + READY_TIMEOUT_MS; Date.now() < deadline && !stopping; ) {
    const status = bound ? await fetch(`${url}/health`).then((response) => response.status, () => 0) : 0;
    if (status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

if (await waitForHealth()) {
  if (stopping) await stopping;
  const token = await signDevToken("dev-user", devVars.JWT_SECRET);
  const database = databaseUrl ? redactPassword(databaseUrl) : `PGlite in ${dataDir}`;
  console.log(
    `clients-api ready on ${url} (database: ${database}; Ctrl-C stops). Try: ` +
      `curl -s -X POST ${url}/api/clients -H 'Authorization: Bearer ${token}' ` +
      `-H 'Content-Type: application/json' -d '{"id":"first-client","name":"Ada Lovelace"}'`,
  );
  ready = true;
} else if (!stopping) {
  console.error(`dev: ${url}/health did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
  await stop(1);
}
