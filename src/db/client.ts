import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";

export type DatabaseOptions = {
  databaseUrl: string;
  /** A local Neon gateway; honoured only on a loopback host (see `loopbackEndpoint`). */
  fetchEndpoint?: string;
  /** Upper bound for one database round trip. */
  timeoutMs: number;
};

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** The endpoint if it points at this machine, else undefined: a stray production setting must not
 *  send the connection string (with its password) to another host. */
export function loopbackEndpoint(endpoint: string | undefined): string | undefined {
  if (!endpoint || !URL.canParse(endpoint)) return undefined;
  const { protocol, hostname } = new URL(endpoint);
  return (protocol === "http:" || protocol === "https:") && LOOPBACK_HOSTS.test(hostname) ? endpoint : undefined;
}

export function createDb({ databaseUrl, fetchEndpoint, timeoutMs }: DatabaseOptions) {
  // neonConfig is global to the driver. Every request of an isolate carries the same bindings, so
  // setting it on each call is idempotent; a fresh signal per fetch gives each round trip its own timeout.
  const endpoint = loopbackEndpoint(fetchEndpoint);
  if (endpoint) neonConfig.fetchEndpoint = endpoint;
  neonConfig.fetchFunction = (input: RequestInfo, init?: RequestInit) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return drizzle({ client: neon(databaseUrl) });
}

export type Database = ReturnType<typeof createDb>;
