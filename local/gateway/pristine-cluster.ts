// A new PGlite database starts with initdb, which costs seconds of CPU each time (about 5 s on a 2-core
// machine), while loading the files initdb makes costs a tenth of that. So the first new database of an install
// keeps a copy of them (in node_modules/.cache), and every later one starts from it. Gzipped: 5 MB instead of
// 40 (mostly an empty WAL segment), and quicker to load, as PGlite copies the archive it is given.
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const nodeModules = fileURLToPath(new URL("../../node_modules", import.meta.url));
const { version } = JSON.parse(readFileSync(join(nodeModules, "@electric-sql/pglite/package.json"), "utf8")) as { version: string };
/** Where the copy is kept: one per PGlite version. */
export const keptClusterFile = join(nodeModules, ".cache/clients-api", `pglite-${version}-cluster.tar.gz`);
const GZIP = "application/x-gzip"; // how loadDataDir knows to decompress

/** PGlite's options for a database in `dataDir` (in memory when undefined), started from the copy when new. */
export async function pgliteOptions(dataDir?: string): Promise<PGliteOptions> {
  if (dataDir) {
    await mkdir(dataDir, { recursive: true }); // PGlite creates only the last level
    if (existsSync(join(dataDir, "PG_VERSION"))) return { dataDir };
  }
  return { dataDir, loadDataDir: await pristineCluster() };
}

/** The files of a freshly initialised cluster, as the archive `loadDataDir` takes. */
async function pristineCluster(): Promise<Blob> {
  try {
    return new Blob([await readFile(keptClusterFile)], { type: GZIP });
  } catch {
    const pglite = await PGlite.create();
    const archive = await pglite.dumpDataDir("gzip");
    await pglite.close();
    await keep(keptClusterFile, archive).catch(() => {}); // a read-only node_modules only costs the next start its initdb
    return archive;
  }
}

// Written aside then renamed: processes starting at once each see a whole file or none.
async function keep(file: string, archive: Blob) {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}`;
  await writeFile(partial, Buffer.from(await archive.arrayBuffer()));
  await rename(partial, file);
}
