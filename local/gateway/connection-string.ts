// The one connection string the gateway accepts, and how a request's connection string is checked against it.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { DatabaseError } from "./neon-response.ts";

/** The URL with its password masked, for messages: a connection string's password is never printed. */
export function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

/** Parses a connection string the way Neon's proxy reads it: the reason it would refuse it, or the URL. */
export function parseConnectionString(value: string, { tokenInstead = false } = {}): URL | string {
  if (!URL.canParse(value)) return "invalid connection string: relative URL without a base";
  const url = new URL(value);
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return "incorrect scheme";
  if (url.pathname.length <= 1) return "missing database name";
  if (!url.username) return "missing username";
  if (!url.password && !tokenInstead) return "missing authentication credentials: required password";
  if (!url.hostname) return "missing hostname";
  return url;
}

/** A connection string's identity; Neon binds the user, the password and the endpoint host together. */
export interface Credentials {
  user: string;
  password: string;
  host: string;
  database: string;
}

// A malformed escape (a lone "%") is kept as written: it can only fail to match.
function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

/**
 * The endpoint a host names. Neon serves each endpoint under two names, `ep-…` (direct) and
 * `ep-…-pooler` (through its connection pooler), in the same region: both are the same endpoint.
 */
export function endpointOf(hostname: string): string {
  const [first = "", ...rest] = hostname.toLowerCase().split(".");
  return [first.replace(/-pooler$/, ""), ...rest].join(".");
}

function credentialsOf(url: URL): Credentials {
  return {
    user: decode(url.username),
    password: decode(url.password),
    host: endpointOf(url.hostname),
    database: decode(url.pathname.slice(1)),
  };
}

/** The credentials of `connectionString`, or of a new one with a random password when none is given. */
export function gatewayCredentials(connectionString?: string): { connectionString: string; credentials: Credentials } {
  connectionString ??= `postgresql://neondb_owner:${randomBytes(24).toString("base64url")}@localhost/neondb`;
  const url = parseConnectionString(connectionString);
  if (typeof url === "string") throw new Error(`the gateway's connection string is not usable: ${url}`);
  return { connectionString, credentials: credentialsOf(url) };
}

/**
 * Whether two secrets are equal, in a time that does not depend on how many of their characters match:
 * timingSafeEqual needs equal lengths, so it compares their fixed-length SHA-256 digests.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (secret: string) => createHash("sha256").update(secret, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

const refusal = (code: string, message: string): DatabaseError =>
  Object.assign(new Error(message), { code, severity: "FATAL" });

/**
 * Neon's answer to a connection string that is not the accepted one: 28P01 for a wrong user, password or
 * endpoint host (one message for all three, as PostgreSQL gives), then 3D000 for another database.
 */
export function refusalOf(presented: URL, expected: Credentials): DatabaseError | undefined {
  const { user, password, host, database } = credentialsOf(presented);
  // Always compared, so the time taken does not tell which part was wrong.
  const passwordMatches = sameSecret(password, expected.password);
  if (!passwordMatches || user !== expected.user || host !== expected.host) {
    return refusal("28P01", `password authentication failed for user "${user}"`);
  }
  if (database !== expected.database) return refusal("3D000", `database "${database}" does not exist`);
  return undefined;
}
