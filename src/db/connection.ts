import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";

export type DatabaseOptions = {
  /** Neon connection string (`postgresql://…`). */
  url: string;
  /** A local Neon gateway instead of Neon's own endpoint. */
  fetchEndpoint?: string;
  /** Upper bound for one database round trip. */
  timeoutMs: number;
};

export function createDb({ url, fetchEndpoint, timeoutMs }: DatabaseOptions) {
  // neonConfig is global to the driver: an isolate serves one set of settings, so the last database made
  // decides. A fresh signal per fetch gives each round trip its own timeout.
  if (fetchEndpoint) neonConfig.fetchEndpoint = fetchEndpoint;
  neonConfig.fetchFunction = (input: RequestInfo, init?: RequestInit) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return drizzle({ client: neon(url) });
}

export type Database = ReturnType<typeof createDb>;
