import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes, routePath } from "hono/route";
import { log } from "../../log";
import type { AppEnv } from "../app-env";

// The route that serves the request is the first endpoint the path matches (one registered before takes
// precedence: /api/clients/live over /api/clients/:id); without one, the last middleware pattern it matched.
const servingRoute = (c: Context) => matchedRoutes(c).find((route) => route.method !== "ALL")?.path ?? routePath(c, -1);

/** One line per request: the method, the route pattern, the status, the duration and the outcome. */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const { status } = c.res;
  log(status >= 500 ? "error" : "info", "request", c.var.requestId, {
    method: c.req.method,
    route: servingRoute(c),
    status,
    durationMs: Date.now() - started,
    outcome: c.var.outcome ?? (status === 409 ? "conflict" : status >= 400 ? "error" : "ok"),
  });
});
