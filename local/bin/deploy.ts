// `npm run deploy -- --env staging|production`: applies the pending migrations to the environment's Neon
// database ($DATABASE_URL, its direct, unpooled connection string), then deploys the worker with
// `wrangler deploy --env <environment>`. The one local script meant for a database on another machine. The
// worker's own secrets (DATABASE_URL, JWT_SECRET) are set once per environment with `wrangler secret put`.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { redactPassword } from "../gateway/connection-string.ts";
import { describeMigration, migratePostgres } from "../gateway/migrations.ts";
import { assertPostgresUrl, checkOrExit, StartupError } from "../tooling/dev-checks.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const DEPLOYED_ENVIRONMENTS = ["staging", "production"];

const databaseUrl = await checkOrExit("deploy", () => {
  // Other options go to wrangler as they are (--secrets-file for a first deploy, say).
  const { values } = parseArgs({ options: { env: { type: "string" } }, strict: false });
  const environment = typeof values.env === "string" ? values.env : "";
  if (!DEPLOYED_ENVIRONMENTS.includes(environment)) {
    throw new StartupError(`--env must be one of ${DEPLOYED_ENVIRONMENTS.join(", ")} (npm run deploy -- --env staging)`);
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new StartupError(`set DATABASE_URL to the ${environment} Neon database's direct connection string`);
  assertPostgresUrl(url, "DATABASE_URL");
  return url;
});

try {
  console.log(`deploy: ${describeMigration(await migratePostgres(databaseUrl), redactPassword(databaseUrl))}`);
} catch (err) {
  console.error(`deploy: migrations failed, nothing deployed: ${(err as Error).message}`);
  process.exit(1);
}
const wrangler = spawn(`${root}node_modules/.bin/wrangler`, ["deploy", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
wrangler.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
