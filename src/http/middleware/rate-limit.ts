import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { raise, type Problem } from "../problem";
import { rateLimitKindOf } from "../rate-limits";
import { described } from "../route-meta";

// A binding's period is 10 or 60 seconds and its windows are fixed: after 60 seconds a caller is
// always counted afresh, whichever period wrangler.toml sets.
const RATE_LIMITED: Problem = {
  type: "rate-limited",
  detail: "Too many requests from this user. Retry after the time in Retry-After.",
  headers: { "Retry-After": "60" },
};

/** Counts the request against the caller's write or read limit, before any database call; over it, 429. */
export const rateLimit = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const limiter = c.var.config.rateLimits[rateLimitKindOf(c.req.method)];
    const { success } = await limiter.limit({ key: c.var.userId });
    if (!success) throw raise(RATE_LIMITED);
    await next();
  }),
  { problems: [RATE_LIMITED] },
);
