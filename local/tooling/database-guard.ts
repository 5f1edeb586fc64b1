// The local scripts and the tests migrate and write: they only touch a database on this machine unless
// told otherwise, so a production URL left in DATABASE_URL is never migrated or filled with test rows by
// mistake. `npm run deploy` is the one path meant for a remote database. vitest.config.ts loads this file as it
// is: it imports only loopback.ts, which imports nothing.
import { isLoopbackName } from "../gateway/loopback.ts";

/** Set to 1 to let a local script or the tests use a DATABASE_URL on another machine. */
const ALLOW_REMOTE_DATABASE = "ALLOW_REMOTE_DATABASE";

/** Whether the host of `databaseUrl` is this machine (no host at all means a local socket). */
function isLoopbackDatabase(databaseUrl: string): boolean {
  if (!URL.canParse(databaseUrl)) return true; // not a URL: the caller's own check says what is wrong with it
  const { hostname } = new URL(databaseUrl);
  return hostname === "" || isLoopbackName(hostname);
}

/** Why `databaseUrl` must not be used, in one line; undefined when it is on this machine or ALLOW_REMOTE_DATABASE=1. */
export function remoteDatabaseRefusal(databaseUrl: string | undefined, name = "DATABASE_URL"): string | undefined {
  if (!databaseUrl || isLoopbackDatabase(databaseUrl) || process.env[ALLOW_REMOTE_DATABASE] === "1") return undefined;
  // The host only: the URL holds a password.
  return (
    `${name} points at ${new URL(databaseUrl).hostname}, not at this machine: refusing to migrate or write there ` +
    `(set ${ALLOW_REMOTE_DATABASE}=1 if you mean it; npm run deploy migrates a deployed database)`
  );
}
