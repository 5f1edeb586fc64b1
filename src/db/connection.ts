import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import { keptIn } from "../per-isolate";

export type DatabaseOptions = {
  /** Neon connection string (`postgresql://…`). */
  url: string;
  /** A local Neon gateway instead of Neon's own endpoint. */
  fetchEndpoint?: string;
  /** Upper bound for one database round trip. */
  timeoutMs: number;
};

/**
 * A fetch that gives up after `timeoutMs` without an answer. The timer is cleared as soon as the answer arrives
 * (Neon sends each answer whole), so no timer outlives its round trip: a pending one would keep a Durable
 * Object from hibernating until it fired.
 */
function fetchWithin(timeoutMs: number) {
  return async (input: RequestInfo, init?: RequestInit) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException("The database did not answer in time", "TimeoutError")), timeoutMs);
    try {
      return await fetch(input, { ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

export function createDb({ url, fetchEndpoint, timeoutMs }: DatabaseOptions) {
  // neonConfig is global to the driver: an isolate serves one set of settings, so the last database made
  // decides. Each round trip gets a timeout of its own.
  if (fetchEndpoint) neonConfig.fetchEndpoint = fetchEndpoint;
  neonConfig.fetchFunction = fetchWithin(timeoutMs);
  return drizzle({ client: neon(url) });
}

export type Database = ReturnType<typeof createDb>;

// An isolate keeps one parsed Config, so one set of options: one database handle (and its prepared statements) for it.
const databaseByOptions = new WeakMap<DatabaseOptions, Database>();

/** The isolate's database handle for `options`, made the first time it is asked for. */
export const databaseFor = (options: DatabaseOptions): Database => keptIn(databaseByOptions, options, createDb);
