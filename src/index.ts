// The worker: the API (./app.ts), the daily job that prunes the change log, and the Durable Object class
// that holds each user's live sockets.
import app from "./app";
import { configFor } from "./config";
import { pruneChanges } from "./db/changes";
import { databaseFor } from "./db/connection";
import { log, summarizeError } from "./log";

export { UserFeed } from "./live/user-feed";

export default {
  // Looked up on each call: the tests wrap app.fetch to check every response against the document.
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),

  // [triggers] in wrangler.toml: once a day, the changes older than the log keeps are removed.
  async scheduled(controller, env) {
    const jobId = `scheduled-${controller.scheduledTime}`;
    try {
      const removed = await pruneChanges(databaseFor(configFor(env).database));
      log("info", "pruned the change log", jobId, { removed });
    } catch (error) {
      log("error", "pruning the change log failed", jobId, { error: summarizeError(error) });
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;
