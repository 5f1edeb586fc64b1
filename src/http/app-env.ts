import type { JwtVariables } from "hono/jwt";
import type { RequestIdVariables } from "hono/request-id";
import type { Config } from "../config";
import type { Database } from "../db/connection";

type Outcome = "created" | "existing";

export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables &
    JwtVariables & {
    config: Config;
    db: Database;
    /** The authenticated caller: the token's `sub`. */
    userId: string;
    /** How a create was resolved, for the request log. */
    outcome?: Outcome;
  };
};
