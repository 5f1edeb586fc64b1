import type { Context } from "hono";
import type { Change, WrittenChange } from "../db/changes";
import { log, summarizeError } from "../log";
import type { AppEnv } from "./app-env";
import { toChangeJson } from "./change-json";

/** A live socket's message: one committed change of the user's clients. */
const changeMessage = (change: Change) => JSON.stringify({ type: "change", ...toChangeJson(change) });

/**
 * Sends a committed change to the caller's open sockets once the answer is on its way (`waitUntil`): the write
 * does not wait for it, and a failure is logged, not answered, as the sockets' clients catch up from the
 * change log. A user without open sockets costs no Durable Object request: the write said so.
 */
export function publishChange(c: Context<AppEnv>, change: WrittenChange): void {
  if (!change.watched) return;
  const { userId } = c.var;
  const published = c.var.config.userFeeds
    .getByName(userId)
    .publish(userId, changeMessage(change))
    .catch((error: unknown) => log("error", "publishing a change failed", c.var.requestId, { error: summarizeError(error) }));
  c.executionCtx.waitUntil(published);
}
