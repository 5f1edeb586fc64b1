import { Hono } from "hono/tiny";
import { pingDatabase } from "../../db/clients";
import type { AppEnv } from "../app-env";

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  await pingDatabase(c.var.db);
  return c.json({ status: "ok", database: "ok" });
});
