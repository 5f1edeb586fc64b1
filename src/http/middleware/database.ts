import { createMiddleware } from "hono/factory";
import { databaseFor } from "../../db/connection";
import type { AppEnv } from "../app-env";
import { DATABASE_UNAVAILABLE } from "../errors";
import { described } from "../route-meta";

/** Sets `db`, made once per isolate's settings; a route that uses it may find the database unavailable. */
export const database = described(
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("db", databaseFor(c.var.config.database));
    await next();
  }),
  { problems: [DATABASE_UNAVAILABLE] },
);
