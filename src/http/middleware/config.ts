import { createMiddleware } from "hono/factory";
import { configFor } from "../../config";
import type { AppEnv } from "../app-env";

/** Sets `config`, the settings parsed once per isolate; a missing or invalid one fails the request. */
export const config = createMiddleware<AppEnv>(async (c, next) => {
  c.set("config", configFor(c.env));
  await next();
});
