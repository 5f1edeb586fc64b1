import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { jwk } from "hono/jwk";
import { decode, jwt } from "hono/jwt";
import type { AppEnv } from "../app-env";
import { unauthorized, unavailable } from "../problem";

const IDENTITY_PROVIDER_ALGORITHMS: Parameters<typeof jwk>[0]["alg"] = ["RS256", "PS256", "ES256", "EdDSA"];
const JWKS_TIMEOUT_MS = 5000;
const JWKS_CACHE_SECONDS = 600;
const MAX_SUBJECT_LENGTH = 255;

function tokenAlgorithm(authorization: string | undefined): string | undefined {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return undefined;
  try {
    return decode(token).header.alg;
  } catch {
    return undefined;
  }
}

// HS256 tokens are checked against JWT_SECRET. With JWKS_URL set, tokens signed asymmetrically are
// checked against the identity provider's keys, and must carry its issuer and this API's audience.
function verifier(env: Env, authorization: string | undefined) {
  const { JWKS_URL, JWT_ISSUER, JWT_AUDIENCE } = env;
  if (!JWKS_URL || tokenAlgorithm(authorization) === "HS256") return jwt({ secret: env.JWT_SECRET, alg: "HS256" });
  if (!JWT_ISSUER || !JWT_AUDIENCE) throw new Error("JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE");
  return jwk(
    { jwks_uri: JWKS_URL, alg: IDENTITY_PROVIDER_ALGORITHMS, verification: { iss: JWT_ISSUER, aud: JWT_AUDIENCE } },
    { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), cf: { cacheTtl: JWKS_CACHE_SECONDS, cacheEverything: true } },
  );
}

/** Authenticates the bearer token and sets `userId` from its `sub`. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const verify = verifier(c.env, c.req.header("Authorization"));
  try {
    await verify(c, async () => {});
  } catch (error) {
    // jwk rethrows a failed key download as a plain Error: the provider is down, not the token bad.
    if (error instanceof HTTPException) throw error;
    throw unavailable("The identity provider's keys could not be fetched.", error);
  }
  const { sub } = c.get("jwtPayload") as { sub?: unknown };
  if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw unauthorized("The token has no valid subject (sub).");
  }
  c.set("userId", sub);
  await next();
});
