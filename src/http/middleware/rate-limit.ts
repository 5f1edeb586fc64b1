import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../problem";
import { rateLimitKindOf } from "../rate-limits";

// A binding's period is 10 or 60 seconds and its windows are fixed: after 60 seconds a caller is
// always counted afresh, whichever period wrangler.toml sets.
const RETRY_AFTER_SECONDS = "60";

/** Counts the request against the caller's write or read limit, before any database call; over it, 429. */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const limiter = c.var.config.rateLimits[rateLimitKindOf(c.req.method)];
  const { success } = await limiter.limit({ key: c.var.userId });
  if (!success) {
    throw new ApiError("rate-limited", "Too many requests from this user. Retry after the time in Retry-After.", {
      headers: { "Retry-After": RETRY_AFTER_SECONDS },
    });
  }
  await next();
});
