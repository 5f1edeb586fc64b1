// The local database that `npm run dev` uses, for the other local scripts (db:seed, db:studio): the PostgreSQL
// of $DATABASE_URL when set, else the embedded PGlite folder in .data/, locked against a second user.
import { fileURLToPath } from "node:url";
import { DataFolderInUseError, lockDataFolder } from "./data-lock";
import { assertDatabaseReachable, assertPostgresUrl, StartupError } from "./dev-checks";

export const pgliteDataDir = fileURLToPath(new URL("../../.data/pglite", import.meta.url));

export interface LocalDatabase {
  /** The PostgreSQL URL, or undefined for PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
}

/** Checks the local database can be used by this process (one line and exit code 1 if not) and claims it. */
export async function claimLocalDatabase(script: string): Promise<LocalDatabase> {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  try {
    if (databaseUrl === undefined) {
      lockDataFolder(pgliteDataDir);
      return { dataDir: pgliteDataDir };
    }
    assertPostgresUrl(databaseUrl, "DATABASE_URL");
    await assertDatabaseReachable(databaseUrl);
    return { databaseUrl };
  } catch (err) {
    if (!(err instanceof StartupError || err instanceof DataFolderInUseError)) throw err;
    console.error(`${script}: ${err.message}`);
    process.exit(1);
  }
}
