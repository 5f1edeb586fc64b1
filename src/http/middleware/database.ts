import { createMiddleware } from "hono/factory";
import type { Config } from "../../config";
import { createDb, type Database } from "../../db/connection";
import type { AppEnv } from "../app-env";
import { DATABASE_UNAVAILABLE } from "../errors";
import { described } from "../route-meta";

const databaseByConfig = new WeakMap<Config, Database>();

/** Sets `db`, made once per isolate's settings; a route that uses it may find the database unavailable. */
export const database = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const { config } = c.var;
    let db = databaseByConfig.get(config);
    if (!db) databaseByConfig.set(config, (db = createDb(config.database)));
    c.set("db", db);
    await next();
  }),
  { problems: [DATABASE_UNAVAILABLE] },
);
