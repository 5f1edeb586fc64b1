import { createMiddleware } from "hono/factory";
import { createDb } from "../../db/client";
import type { AppEnv } from "../app-env";

const DEFAULT_DB_TIMEOUT_MS = 5000;

export const database = createMiddleware<AppEnv>(async (c, next) => {
  const timeoutMs = Number(c.env.DB_TIMEOUT_MS) || DEFAULT_DB_TIMEOUT_MS;
  c.set("db", createDb({ databaseUrl: c.env.DATABASE_URL, fetchEndpoint: c.env.NEON_FETCH_ENDPOINT, timeoutMs }));
  await next();
});
