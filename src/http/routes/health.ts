import { Hono } from "hono/tiny";
import { pingDatabase } from "../../db/clients";
import type { AppEnv } from "../app-env";
import { unavailable } from "../problem";

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  try {
    await pingDatabase(c.var.db);
  } catch (error) {
    throw unavailable("The database is not reachable.", error);
  }
  return c.json({ status: "ok", database: "ok" } as const, 200);
});
