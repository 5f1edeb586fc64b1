// The local database that `npm run dev` uses, for the other local scripts (db:seed, db:studio, db:reset, db:psql):
// the PostgreSQL of $DATABASE_URL when set (on this machine, see database-guard.ts), else the embedded PGlite
// folder in .data/, locked against a second user.
import type { PGlite } from "@electric-sql/pglite";
import { fileURLToPath } from "node:url";
import type { MigrationOutcome } from "../gateway/migrations.ts";
import { lockDataFolder } from "./data-lock.ts";
import { assertUsableDatabase, checkOrExit } from "./dev-checks.ts";

export const pgliteDataDir = fileURLToPath(new URL("../../.data/pglite", import.meta.url));

/** The PostgreSQL of DATABASE_URL, or PGlite in `dataDir`. */
export type LocalDatabase = { databaseUrl: string; dataDir?: undefined } | { databaseUrl?: undefined; dataDir: string };

/** Checks the local database can be used by this process (one line and exit code 1 if not) and claims it. */
export function claimLocalDatabase(script: string): Promise<LocalDatabase> {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  return checkOrExit(script, async () => {
    if (databaseUrl === undefined) {
      lockDataFolder(pgliteDataDir);
      return { dataDir: pgliteDataDir };
    }
    await assertUsableDatabase(databaseUrl);
    return { databaseUrl };
  });
}

/** The local PGlite database in `dataDir`, created if need be and migrated. */
export async function openMigratedPglite(dataDir: string): Promise<{ db: PGlite; migration: MigrationOutcome }> {
  // Loaded only here, so that the scripts' refusals (claimLocalDatabase) come at once.
  const [{ PGlite }, { migratePglite }, { pgliteOptions }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("../gateway/migrations.ts"),
    import("../gateway/pristine-cluster.ts"),
  ]);
  const db = await PGlite.create(await pgliteOptions(dataDir));
  return { db, migration: await migratePglite(db) };
}
