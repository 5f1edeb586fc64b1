// One process at a time may open a PGlite data folder: two would corrupt it. The lock is a file next to the
// folder holding the owner's pid; a lock whose process is gone (killed, crashed) is stale and taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, relative } from "node:path";
import { processOrGroupExists } from "./process-group.ts";

export class DataFolderInUseError extends Error {}

/** Takes the lock on `dataDir` for this process until it exits (or `release` is called). */
export function lockDataFolder(dataDir: string): { release(): void } {
  const lockFile = `${dataDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt === 2) throw err;
      const owner = readOwner(lockFile);
      if (owner !== undefined && processExists(owner)) {
        const shown = relative(process.cwd(), dataDir) || dataDir;
        throw new DataFolderInUseError(
          `${shown} is in use by another local process (pid ${owner}): stop it first, or set DATABASE_URL to use ` +
            `PostgreSQL instead (if pid ${owner} is not yours, delete ${relative(process.cwd(), lockFile)})`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  const release = () => {
    process.off("exit", release);
    if (readOwner(lockFile) === process.pid) rmSync(lockFile, { force: true });
  };
  process.on("exit", release);
  return { release };
}

function readOwner(lockFile: string): number | undefined {
  try {
    return Number(readFileSync(lockFile, "utf8"));
  } catch {
    return undefined;
  }
}

// Not a pid (an empty or garbled lock): no owner. 0 or less would name a process group.
const processExists = (pid: number) => Number.isInteger(pid) && pid > 0 && processOrGroupExists(pid);
