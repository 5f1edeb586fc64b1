import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";

const EXPOSED_HEADERS = ["Location", "Retry-After", "X-Request-Id", "ETag", "RateLimit-Policy"];

const allowedOrigin = (origin: string, c: Context<AppEnv>) => (c.var.config.corsOrigins.includes(origin) ? origin : null);

const preflight = cors({
  origin: (origin, c) => allowedOrigin(origin, c as Context<AppEnv>),
  allowMethods: ["GET", "POST", "PATCH", "DELETE"],
  allowHeaders: ["Authorization", "Content-Type", "X-Request-Id", "If-Match", "If-None-Match", "Idempotency-Key"],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 600,
});

const exposedHeaders = EXPOSED_HEADERS.join(",");

/**
 * Hono's cors(), with the headers of an answer other than a preflight set on the answer itself: Hono sets
 * them on `c.res` before the handler runs, which makes a placeholder Response that the handler's answer is
 * then copied into, and copies that once more to append `Vary`. The headers are the same.
 */
export const corsHeaders = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method === "OPTIONS") return preflight(c, next);
  const origin = allowedOrigin(c.req.header("Origin") ?? "", c);
  await next();
  const { headers } = c.res;
  if (origin) headers.set("Access-Control-Allow-Origin", origin);
  headers.set("Access-Control-Expose-Headers", exposedHeaders);
  headers.append("Vary", "Origin");
});
