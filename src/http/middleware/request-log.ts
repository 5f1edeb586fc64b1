import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../app-env";

/** One JSON line per request. Only the method, the route pattern (not the path, which holds ids) and
 *  outcome fields: never tokens, emails or phone numbers. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const { status } = c.res;
  const outcome = c.get("outcome") ?? (status === 409 ? "conflict" : status >= 400 ? "error" : "ok");
  const line = {
    level: status >= 500 ? "error" : "info",
    message: "request",
    method: c.req.method,
    route: routePath(c, -1),
    status,
    durationMs: Date.now() - started,
    requestId: c.get("requestId"),
    outcome,
  };
  console.log(JSON.stringify(line));
});
