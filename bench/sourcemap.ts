// Profiles of a minified bundle name functions `Su` at `index.js:80:35749`; the bundle's source map
// turns that into the file and line it came from, e.g. `node_modules/hono/dist/utils/jwt/jws.js:45`.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { basename, join } from "node:path";
import type { CallFrame } from "./inspector";

export type Locate = (frame: CallFrame) => string | undefined;

function locator(payload: SourceMapPayload): Locate {
  const map = new SourceMap(payload);
  return (frame) => {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
    if (!("originalSource" in entry)) return undefined;
    // Dev bundles name their sources relative to .wrangler/tmp/<dir>: keep the project-relative part.
    return `${entry.originalSource.replace(/^(?:\.\.\/)+/, "")}:${entry.originalLine + 1}`;
  };
}

/** The source map inside a bundle written by `wrangler deploy --outfile` (multipart form data). */
export function locatorOfBundle(bundle: string): Locate | undefined {
  const text = readFileSync(bundle, "utf8");
  // Named after the entry's file: index.js.map for src/index.ts, worker.js.map for the floor's worker.ts.
  const header = text.search(/name="[^"]+\.js\.map"/);
  if (header < 0) return undefined;
  const start = text.indexOf("\r\n\r\n", header) + 4;
  return locator(JSON.parse(text.slice(start, text.indexOf("\r\n--", start))) as SourceMapPayload);
}

/**
 * The source map of the bundle wrangler's local runtime is serving for `entry` (it keeps the bundle
 * in .wrangler/tmp while the worker runs): the newest map there that was built from that entry.
 */
export function locatorOfDevBundle(entry: string): Locate | undefined {
  const tmp = join(".wrangler", "tmp");
  // The bundle is named after the entry's file: index.js.map for src/index.ts.
  const mapName = `${basename(entry).replace(/\.[cm]?[jt]s$/, "")}.js.map`;
  const maps = readdirSync(tmp)
    .map((dir) => join(tmp, dir, mapName))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    })
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const path of maps) {
    const payload = JSON.parse(readFileSync(path, "utf8")) as SourceMapPayload;
    if (payload.sources.some((source) => source.endsWith(entry))) return locator(payload);
  }
  return undefined;
}
