import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { jwk } from "hono/jwk";
import { decode, jwt } from "hono/jwt";
import type { Config } from "../../config";
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

// HS256 tokens are checked against JWT_SECRET. With an identity provider configured, tokens signed
// asymmetrically are checked against its keys, and must carry its issuer and this API's audience.
function verifier({ secret, provider }: Config["auth"], authorization: string | undefined) {
  if (!provider || tokenAlgorithm(authorization) === "HS256") return jwt({ secret, alg: "HS256" });
  return jwk(
    { jwks_uri: provider.jwksUrl, alg: IDENTITY_PROVIDER_ALGORITHMS, verification: { iss: provider.issuer, aud: provider.audience } },
    { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), cf: { cacheTtl: JWKS_CACHE_SECONDS, cacheEverything: true } },
  );
}

/** Authenticates the bearer token and sets `userId` from its `sub`. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const verify = verifier(c.var.config.auth, c.req.header("Authorization"));
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
