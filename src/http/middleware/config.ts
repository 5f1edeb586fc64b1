import { createMiddleware } from "hono/factory";
import { configFor } from "../../config";
import type { AppEnv } from "../app-env";
import { MISCONFIGURED } from "../errors";
import { described } from "../route-meta";

/** Sets `config`, the settings parsed once per isolate; a missing or invalid one fails the request. */
export const config = described(
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("config", configFor(c.env));
    await next();
  }),
  { problems: [MISCONFIGURED] },
);
