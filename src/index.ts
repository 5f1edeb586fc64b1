// hono/tiny: the pattern router alone, instead of two routers and a chooser; a handful of routes needs no more.
import { Hono } from "hono/tiny";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./http/app-env";
import { authenticate } from "./http/middleware/auth";
import { database } from "./http/middleware/database";
import { requestLog } from "./http/middleware/request-log";
import { ApiError, describeCause, problemResponse, toApiError } from "./http/problem";
import { clientsRoutes } from "./http/routes/clients";
import { healthRoutes } from "./http/routes/health";

const allowedOrigins = (setting: string) =>
  setting
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);

const app = new Hono<AppEnv>()
  .use(requestId())
  .use(requestLog)
  .use(secureHeaders())
  .use(
    cors({
      origin: (origin, c) => (allowedOrigins(c.env.CORS_ORIGINS).includes(origin) ? origin : null),
      allowMethods: ["GET", "POST", "PATCH", "DELETE"],
      allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
      exposeHeaders: ["Location", "Retry-After", "X-Request-Id"],
      maxAge: 600,
    }),
  )
  // The database client is made only for requests that reach a route using it: not for a 401 or a 404.
  .use("/health", database)
  .route("/health", healthRoutes)
  .use("/api/*", authenticate, database)
  .route("/api/clients", clientsRoutes);

app.notFound((c) => problemResponse(c, new ApiError("not-found", "No such route.")));

app.onError((error, c) => {
  const problem = toApiError(error);
  if (problem.status >= 500) {
    const line = { level: "error", message: problem.message, requestId: c.get("requestId"), ...describeCause(problem) };
    console.error(JSON.stringify(line));
  }
  return problemResponse(c, problem);
});

/** The app's routes and their types, for Hono's `hc` (see ./client.ts). */
export type AppType = typeof app;

export default app;
