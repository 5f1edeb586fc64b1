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
    /** When the caller's token expires: its `exp`, in seconds since the epoch. */
    tokenExpiresAt: number;
    /** The versions If-Match allows a write to apply to; absent without If-Match (or with `*`). */
    expectedVersions?: number[];
    /** The caller's Idempotency-Key, for a create without an id. */
    idempotencyKey?: string;
    /** How a create was resolved, for the request log. */
    outcome?: Outcome;
  };
};
