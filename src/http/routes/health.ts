import { Hono } from "hono/tiny";
import type { Config } from "../../config";
import { checkDatabase } from "../../db/clients";
import type { AppEnv } from "../app-env";
import type { Operations } from "../openapi";

/**
 * How long an isolate answers /health with its last check of the database. The route needs no token: however
 * often anyone calls it, it costs the database at most one statement per isolate in this time.
 */
export const HEALTH_CHECK_MAX_AGE_MS = 3000;

// One check per isolate's settings (an isolate keeps one env, hence one Config): its start and its outcome,
// success or failure, shared by every request that comes while it is recent.
const lastChecks = new WeakMap<Config, { startedAt: number; outcome: Promise<void> }>();

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  let check = lastChecks.get(c.var.config);
  if (!check || Date.now() - check.startedAt >= HEALTH_CHECK_MAX_AGE_MS) {
    check = { startedAt: Date.now(), outcome: checkDatabase(c.var.db) };
    lastChecks.set(c.var.config, check);
  }
  await check.outcome;
  return c.json({ status: "ok", database: "ok" } as const, 200);
});

// See clientsOperations.
export const healthOperations = /* @__PURE__ */ (() => ({
  "GET /health": {
    operationId: "health",
    tags: ["health"],
    summary: "Check the worker and that its database can serve the API",
    description:
      `Needs no token: for load balancers and uptime checks. The database is asked whether the worker's role may read and write \`clients\`; each isolate asks at most once every ${HEALTH_CHECK_MAX_AGE_MS / 1000} seconds and answers the calls in between with that answer.`,
    security: [],
    responses: { 200: { description: "Up, and the database can serve the API.", content: "Health" } },
  },
}) satisfies Operations)();
