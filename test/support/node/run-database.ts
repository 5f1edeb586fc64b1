import { createScratchDatabase } from "../../../local/tooling/scratch-database";
import { uniqueName } from "./unique-name";

/**
 * Where a test project's gateway keeps the API's tables: on PostgreSQL (DATABASE_URL), a database of the
 * project's own beside the given one, dropped when the project ends, so a run leaves no rows in the database
 * it was given and drops nothing it did not create; undefined (embedded PGlite) otherwise.
 */
export async function projectDatabase(project: string): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  return createScratchDatabase(serverUrl, uniqueName(`clients_test_${project}`));
}
