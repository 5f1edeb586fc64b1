// `npm run db:reset`: empties the local PGlite database (.data/pglite, the one `npm run dev` uses) and applies
// the migrations again. It never touches PostgreSQL: drop and create such a database yourself.
import { rmSync } from "node:fs";
import { relative } from "node:path";
import { checkOrExit, StartupError } from "../tooling/dev-checks.ts";
import { claimLocalDatabase, openMigratedPglite } from "../tooling/local-database.ts";

await checkOrExit("db:reset", () => {
  if (!process.env.DATABASE_URL) return;
  throw new StartupError(
    "resets the embedded PGlite database only, and DATABASE_URL names PostgreSQL: unset it, or reset that " +
      "database with dropdb and createdb, then npm run db:migrate",
  );
});
const { dataDir } = await claimLocalDatabase("db:reset");
// Loaded after the checks, so that a refusal comes at once.
const { describeMigration } = await import("../gateway/migrations.ts");
rmSync(dataDir!, { recursive: true, force: true });
const { db, migration } = await openMigratedPglite(dataDir!);
await db.close();
console.log(`db:reset: emptied; ${describeMigration(migration, relative(process.cwd(), dataDir!) || dataDir!)}`);
