// `npm run db:migrate`: applies the pending migrations to the PostgreSQL database that $DATABASE_URL names (on
// this machine unless ALLOW_REMOTE_DATABASE=1; `npm run deploy` migrates a deployed one), and says how many.
import { redactPassword } from "../gateway/connection-string.ts";
import { assertLocalDatabase, assertPostgresUrl, checkOrExit, StartupError } from "../tooling/dev-checks.ts";

const databaseUrl = await checkOrExit("db:migrate", () => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new StartupError("set DATABASE_URL to the database to migrate (postgres://...)");
  assertPostgresUrl(url, "DATABASE_URL");
  assertLocalDatabase(url);
  return url;
});
// Loaded after the checks, so that a refusal comes at once.
const { describeMigration, hasMigrations, migratePostgres, migrationsFolder } = await import("../gateway/migrations.ts");
if (!hasMigrations(migrationsFolder)) {
  console.log(`db:migrate: no migrations in ${migrationsFolder}`);
} else {
  try {
    console.log(`db:migrate: ${describeMigration(await migratePostgres(databaseUrl), redactPassword(databaseUrl))}`);
  } catch (err) {
    console.error(`db:migrate failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
