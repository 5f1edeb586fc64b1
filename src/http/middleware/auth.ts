import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { jwk } from "hono/jwk";
import { decode, jwt } from "hono/jwt";
import type { Config } from "../../config";
import type { AppEnv } from "../app-env";
import { INVALID_TOKEN_CHALLENGE, raise, RETRY_SOON, type Problem } from "../problem";
import { described } from "../route-meta";

const IDENTITY_PROVIDER_ALGORITHMS: Parameters<typeof jwk>[0]["alg"] = ["RS256", "PS256", "ES256", "EdDSA"];
const JWKS_TIMEOUT_MS = 5000;
const JWKS_CACHE_SECONDS = 600;

// The subject becomes the owner of every row the caller writes: it must be text PostgreSQL stores as
// sent. A NUL has no place in a text column and a lone surrogate no UTF-8 form (it would be stored as
// U+FFFD, merging distinct subjects into one tenant); control characters have no business in an id.
// 1 to 255 code points.
const STORABLE_SUBJECT = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

function tokenAlgorithm(authorization: string | undefined): string | undefined {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return undefined;
  try {
    return decode(token).header.alg;
  } catch {
    return undefined;
  }
}

// Hono's jwt() imports a secret given as text on every request: import it once per secret and isolate.
const hs256Verifiers = new Map<string, MiddlewareHandler>();

function hs256Verifier(secret: string): MiddlewareHandler {
  let verify = hs256Verifiers.get(secret);
  if (!verify) {
    const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    const verifyWithKey = key.then((imported) => jwt({ secret: imported, alg: "HS256" }));
    verify = async (c, next) => (await verifyWithKey)(c, next);
    hs256Verifiers.set(secret, verify);
  }
  return verify;
}

// HS256 tokens are checked against JWT_SECRET. With an identity provider configured, tokens signed
// asymmetrically are checked against its keys, and must carry its issuer and this API's audience.
function verifier({ secret, provider }: Config["auth"], authorization: string | undefined) {
  if (!provider || tokenAlgorithm(authorization) === "HS256") return hs256Verifier(secret);
  return jwk(
    { jwks_uri: provider.jwksUrl, alg: IDENTITY_PROVIDER_ALGORITHMS, verification: { iss: provider.issuer, aud: provider.audience } },
    { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), cf: { cacheTtl: JWKS_CACHE_SECONDS, cacheEverything: true } },
  );
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
const BAD_SUBJECT = invalidToken("The token's subject (sub) must be 1 to 255 characters of text without control characters.");
const KEYS_UNAVAILABLE: Problem = {
  type: "unavailable",
  detail: "The identity provider's keys could not be fetched.",
  headers: RETRY_SOON,
};

/** Authenticates the bearer token and sets `userId` from its `sub`. */
export const authenticate = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const authorization = c.req.header("Authorization");
    const verify = verifier(c.var.config.auth, authorization);
    try {
      await verify(c, async () => {});
    } catch (error) {
      if (error instanceof HTTPException && error.status === 401) {
        throw raise(authorization === undefined ? MISSING_TOKEN : BAD_TOKEN, { cause: error });
      }
      if (error instanceof HTTPException) throw error;
      // jwk rethrows a failed key download as a plain Error: the provider is down, not the token bad.
      throw raise(KEYS_UNAVAILABLE, { cause: error });
    }
    const { sub, exp } = c.get("jwtPayload") as { sub?: unknown; exp?: unknown };
    // Hono checks `exp` only when present: a token without one would never expire.
    if (typeof exp !== "number") throw raise(NO_EXPIRY);
    if (typeof sub !== "string" || !STORABLE_SUBJECT.test(sub)) throw raise(BAD_SUBJECT);
    c.set("userId", sub);
    await next();
  }),
  { problems: [MISSING_TOKEN, BAD_TOKEN, NO_EXPIRY, BAD_SUBJECT, KEYS_UNAVAILABLE] },
);
