import { createMiddleware } from "hono/factory";
import type { Config } from "../../config";
import { createDb, type Database } from "../../db/connection";
import { keptIn } from "../../per-isolate";
import type { AppEnv } from "../app-env";
import { DATABASE_UNAVAILABLE } from "../errors";
import { described } from "../route-meta";

const databaseByConfig = new WeakMap<Config, Database>();

/** Sets `db`, made once per isolate's settings; a route that uses it may find the database unavailable. */
export const database = described(
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("db", keptIn(databaseByConfig, c.var.config, (config) => createDb(config.database)));
    await next();
  }),
  { problems: [DATABASE_UNAVAILABLE] },
);
