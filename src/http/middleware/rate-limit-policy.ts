import { createMiddleware } from "hono/factory";
import { RATE_LIMIT_POLICY, rateLimitKindOf } from "../rate-limits";
import { described } from "../route-meta";

/**
 * States on every response, errors and 429s included, the quota and window of the limit that counts
 * the request. Set before authentication, so a 401 states it too. The binding does not report how much
 * is left, so there is no RateLimit header.
 */
export const rateLimitPolicy = described(
  createMiddleware(async (c, next) => {
    c.header("RateLimit-Policy", RATE_LIMIT_POLICY[rateLimitKindOf(c.req.method)]);
    await next();
  }),
  { sets: ["RateLimit-Policy"] },
);
