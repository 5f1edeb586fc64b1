import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { log } from "../../log";
import type { AppEnv } from "../app-env";

/** One line per request: the method, the route pattern, the status, the duration and the outcome. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const { status } = c.res;
  log(status >= 500 ? "error" : "info", "request", c.var.requestId, {
    method: c.req.method,
    route: routePath(c, -1),
    status,
    durationMs: Date.now() - started,
    outcome: c.var.outcome ?? (status === 409 ? "conflict" : status >= 400 ? "error" : "ok"),
  });
});
