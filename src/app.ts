// hono/tiny: the pattern router alone, instead of two routers and a chooser; a handful of routes needs no more.
import { Hono } from "hono/tiny";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./http/app-env";
import { NO_SUCH_ROUTE, toApiError } from "./http/errors";
import { authenticate } from "./http/middleware/auth";
import { config } from "./http/middleware/config";
import { corsHeaders } from "./http/middleware/cors";
import { database } from "./http/middleware/database";
import { rateLimit } from "./http/middleware/rate-limit";
import { rateLimitPolicy } from "./http/middleware/rate-limit-policy";
import { requestLog } from "./http/middleware/request-log";
import { socketCredential } from "./http/middleware/socket-credential";
import { problemResponse, raise } from "./http/problem";
import { clientsRoutes } from "./http/routes/clients";
import { healthRoutes } from "./http/routes/health";
import { liveRoutes } from "./http/routes/live";
import { log, summarizeError } from "./log";

const app = new Hono<AppEnv>()
  .use(requestId())
  .use(requestLog)
  .use(secureHeaders())
  // A browser pointed at the API's address finds its documentation; settings play no part in that. A
  // middleware, not a route: it is no operation of the API's document.
  .use("/", async (c, next) => (c.req.method === "GET" ? c.redirect("/docs", 302) : next()))
  // Before the settings' check, so that even a misconfigured deployment's answers state it.
  .use("/api/*", rateLimitPolicy)
  .use(config)
  .use(corsHeaders)
  .use("/health", database)
  .route("/health", healthRoutes)
  .use("/api/clients/live", socketCredential)
  .use("/api/*", authenticate, rateLimit, database)
  // Before the clients' routes, whose GET /:id would take "live" for an id.
  .route("/api/clients/live", liveRoutes)
  .route("/api/clients", clientsRoutes);

app.notFound((c) => problemResponse(c, raise(NO_SUCH_ROUTE)));

app.onError((error, c) => {
  const problem = toApiError(error);
  if (problem.status >= 500) log("error", problem.type, c.var.requestId, { error: summarizeError(problem.cause ?? error) });
  return problemResponse(c, problem);
});

export default app;
