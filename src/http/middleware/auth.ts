import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { jwk } from "hono/jwk";
import { decode, jwt } from "hono/jwt";
import type { Config } from "../../config";
import type { AppEnv } from "../app-env";
import { fromBase64Url } from "../base64url";
import { IdentityProviderUnavailableError, identityProviderKeys } from "../identity-provider-keys";
import { INVALID_TOKEN_CHALLENGE, raise, RETRY_SOON, type Problem } from "../problem";
import { keptIn } from "../../per-isolate";
import { described } from "../route-meta";

const IDENTITY_PROVIDER_ALGORITHMS: Parameters<typeof jwk>[0]["alg"] = ["RS256", "PS256", "ES256", "EdDSA"];

// The subject becomes the owner of every row the caller writes: it must be text PostgreSQL stores as
// sent. A NUL has no place in a text column and a lone surrogate no UTF-8 form (it would be stored as
// U+FFFD, merging distinct subjects into one tenant); control characters have no business in an id.
export const MAX_SUBJECT_LENGTH = 255;
const STORABLE_SUBJECT = new RegExp(`^[^\\p{Cc}\\p{Cs}]{1,${MAX_SUBJECT_LENGTH}}$`, "u");

const bearerToken = (authorization: string | undefined) => authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];

function tokenHeader(token: string | undefined): { alg?: string; kid?: string } | undefined {
  if (!token) return undefined;
  try {
    return decode(token).header as { alg?: string; kid?: string };
  } catch {
    return undefined;
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Whether the token is spelled the one way it can be: three segments of base64url without padding or stray
 * bits, the header and payload valid UTF-8. Hono decodes leniently (a signature with a changed last
 * character still verifies; invalid bytes in `sub` read as U+FFFD, merging distinct subjects into one tenant).
 */
function isCanonical(token: string): boolean {
  const segments = token.split(".").map(fromBase64Url);
  if (segments.length !== 3 || segments.some((bytes) => bytes === undefined)) return false;
  try {
    strictUtf8.decode(segments[0]);
    strictUtf8.decode(segments[1]);
    return true;
  } catch {
    return false;
  }
}

// A caller sends the same token with each request: one that passed every check against JWT_SECRET is kept,
// by its text, until it expires, so that it is decoded and its signature verified once per isolate.
const REMEMBERED_TOKENS = 1000;

/** The caller's subject and the token's expiry (seconds since the epoch). */
type Verified = { userId: string; exp: number };

type Verifier = { verify: MiddlewareHandler; remembered?: Map<string, Verified> };

// Hono's jwt() imports a secret given as text on every request: import it once per secret and isolate.
const hs256Verifiers = new Map<string, Verifier>();

function importHs256Verifier(secret: string): Verifier {
  const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const verifyWithKey = key.then((imported) => jwt({ secret: imported, alg: "HS256" }));
  return { verify: async (c, next) => (await verifyWithKey)(c, next), remembered: new Map() };
}

/** A token that passed every check against `secret` before, unless it has expired since (Hono's rule). */
function rememberedToken(secret: string, token: string): Verified | undefined {
  const remembered = hs256Verifiers.get(secret)?.remembered;
  const verified = remembered?.get(token);
  if (verified === undefined) return undefined;
  if (verified.exp > Math.floor(Date.now() / 1000)) return verified;
  remembered!.delete(token);
  return undefined;
}

function remember(remembered: Map<string, Verified>, token: string, verified: Verified): void {
  // A Map iterates in insertion order: the first key is the oldest.
  if (remembered.size >= REMEMBERED_TOKENS) remembered.delete(remembered.keys().next().value!);
  remembered.set(token, verified);
}

// HS256 tokens are checked against JWT_SECRET. With an identity provider configured, tokens signed
// asymmetrically are checked against its keys, and must carry its issuer and this API's audience.
async function verifier({ secret, provider }: Config["auth"], token: string | undefined): Promise<Verifier> {
  const header = provider && tokenHeader(token);
  if (!provider || header?.alg === "HS256") return keptIn(hs256Verifiers, secret, importHs256Verifier);
  let keys;
  try {
    keys = await identityProviderKeys(provider.jwksUrl, header?.kid);
  } catch (error) {
    if (!(error instanceof IdentityProviderUnavailableError)) throw error;
    throw raise(KEYS_UNAVAILABLE, { cause: error });
  }
  return { verify: jwk({ keys, alg: IDENTITY_PROVIDER_ALGORITHMS, verification: { iss: provider.issuer, aud: provider.audience } }) };
}

// Hono's challenge names the request URL as its realm, query string included: answer RFC 6750's bare
// challenge instead, with an error code only when a credential was sent.
const MISSING_TOKEN: Problem = {
  type: "unauthorized",
  detail: "Send a bearer token in the Authorization header.",
  headers: { "WWW-Authenticate": "Bearer" },
};
const invalidToken = (detail: string): Problem => ({ type: "unauthorized", detail, headers: INVALID_TOKEN_CHALLENGE });
const BAD_TOKEN = invalidToken("The bearer token is invalid or expired.");
const NO_EXPIRY = invalidToken("The token has no expiry (exp).");
const BAD_SUBJECT = invalidToken(
  `The token's subject (sub) must be 1 to ${MAX_SUBJECT_LENGTH} characters of text without control characters.`,
);
const KEYS_UNAVAILABLE: Problem = {
  type: "unavailable",
  detail: "The identity provider's keys could not be fetched.",
  headers: RETRY_SOON,
};

/** Authenticates the bearer token and sets `userId` from its `sub` and `tokenExpiresAt` from its `exp`. */
export const authenticate = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const authorization = c.req.header("Authorization");
    const token = bearerToken(authorization);
    const remembered = token === undefined ? undefined : rememberedToken(c.var.config.auth.secret, token);
    if (remembered !== undefined) {
      c.set("userId", remembered.userId);
      c.set("tokenExpiresAt", remembered.exp);
      return next();
    }
    if (token !== undefined && !isCanonical(token)) throw raise(BAD_TOKEN);
    const { verify, remembered: verifiedTokens } = await verifier(c.var.config.auth, token);
    try {
      await verify(c, async () => {});
    } catch (error) {
      if (error instanceof HTTPException && error.status === 401) {
        throw raise(authorization === undefined ? MISSING_TOKEN : BAD_TOKEN, { cause: error });
      }
      throw error;
    }
    const { sub, exp } = c.get("jwtPayload") as { sub?: unknown; exp?: unknown };
    // Hono checks `exp` only when present: a token without one would never expire.
    if (typeof exp !== "number") throw raise(NO_EXPIRY);
    if (typeof sub !== "string" || !STORABLE_SUBJECT.test(sub)) throw raise(BAD_SUBJECT);
    if (verifiedTokens && token !== undefined) remember(verifiedTokens, token, { userId: sub, exp });
    c.set("userId", sub);
    c.set("tokenExpiresAt", exp);
    await next();
  }),
  { problems: [MISSING_TOKEN, BAD_TOKEN, NO_EXPIRY, BAD_SUBJECT, KEYS_UNAVAILABLE] },
);
