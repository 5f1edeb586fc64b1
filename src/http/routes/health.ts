import { Hono } from "hono/tiny";
import { pingDatabase } from "../../db/clients";
import type { AppEnv } from "../app-env";
import type { Operations } from "../openapi";

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  await pingDatabase(c.var.db);
  return c.json({ status: "ok", database: "ok" } as const, 200);
});

// See clientsOperations.
export const healthOperations = /* @__PURE__ */ (() => ({
  "GET /health": {
    operationId: "health",
    tags: ["health"],
    summary: "Check the worker and its database (`select 1`)",
    description: "Needs no token: for load balancers and uptime checks.",
    security: [],
    responses: { 200: { description: "Up, and the database answers.", content: "Health" } },
  },
}) satisfies Operations)();
