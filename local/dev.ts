// `npm run dev`: the local Neon gateway (embedded PGlite kept in .data/, or $DATABASE_URL's PostgreSQL),
// migrations, and `wrangler dev` on http://127.0.0.1:$PORT (8787) pointed at the gateway.
// Prints one ready line, then the worker's logs. Ctrl-C stops everything it started.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { startNeonGateway } from "./gateway";
import { redactPassword } from "./connection-string";
import { ensureDevVars, signDevToken } from "./token";

const root = fileURLToPath(new URL("..", import.meta.url));
const host = "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const databaseUrl = process.env.DATABASE_URL;
const dataDir = databaseUrl ? undefined : `${root}.data/pglite`;
const READY_TIMEOUT_MS = 60_000;

ensureDevVars();
// The gateway accepts exactly the connection string the worker reads from .dev.vars.
const workerDatabaseUrl = parseEnv(readFileSync(`${root}.dev.vars`, "utf8")).DATABASE_URL;
const gateway = await startNeonGateway({ port: 0, databaseUrl, dataDir, migrate: true, connectionString: workerDatabaseUrl });
const wrangler = spawn(
  `${root}node_modules/.bin/wrangler`,
  ["dev", "--ip", host, "--port", String(port), "--var", `NEON_FETCH_ENDPOINT:${gateway.url}`,
    "--show-interactive-dev-session=false"],
  // The API reads nothing from Request.cf: skip wrangler's download of it (and its warning offline).
  { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
);

// Wrangler's start-up banner is held back, and shown only if the start fails; after the ready line,
// its output (the worker's request logs) passes through.
let startupOutput = "";
let ready = false;
wrangler.stdout.on("data", (chunk: Buffer) => {
  if (ready) process.stdout.write(chunk);
  else startupOutput += chunk;
});

let stopping = false;
async function stop(exitCode: number) {
  if (stopping) return;
  stopping = true;
  if (!ready) process.stdout.write(startupOutput);
  if (wrangler.exitCode === null) {
    const exited = new Promise((resolve) => wrangler.once("exit", resolve));
    wrangler.kill("SIGTERM");
    await exited;
  }
  await gateway.close();
  process.exit(exitCode);
}
process.once("SIGINT", () => stop(0)).once("SIGTERM", () => stop(0));
wrangler.once("exit", (code) => {
  if (!stopping) console.error(`dev: wrangler exited (${code ?? "signal"})`);
  void stop(code ?? 1);
});

// Ready means the worker answered /health, which also proves the gateway and the database work.
const url = `http://${host}:${port}`;
async function waitForHealth() {
  for (const deadline = Date.now() + READY_TIMEOUT_MS; Date.now() < deadline && !stopping; ) {
    const status = await fetch(`${url}/health`).then((response) => response.status, () => 0);
    if (status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

if (await waitForHealth()) {
  const token = await signDevToken("dev-user");
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
