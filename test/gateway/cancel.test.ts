// A caller who gives up gets its statement cancelled, even when PostgreSQL ignores a cancel: it does so for a
// session still reading its statement, which is where a cancel lands when it overtakes the statement.
import { describe, expect, it } from "vitest";
import { openPostgres, type Backend } from "../../local/gateway/backends";
import { Counters, runPayload } from "../../local/gateway/execution";
import { connectionString, databaseUrl, isPostgres, uniqueName } from "../support/node/gateway-fixture";

// PGlite runs each statement to its end before anything else happens: there is nothing to cancel.
describe.runIf(isPostgres)("a caller who gives up", () => {
  it("has its statement cancelled even when the first cancel is lost", { timeout: 30_000 }, async () => {
    const backend = await openPostgres(databaseUrl!);
    try {
      let cancels = 0;
      const losingFirstCancel: Backend = { ...backend, cancel: (client) => (++cancels === 1 ? Promise.resolve() : backend.cancel(client)) };
      const marker = uniqueName("lost_cancel");
      const controller = new AbortController();
      const options = { connection: new URL(connectionString), rawOutput: false, arrayMode: false, isolationLevel: undefined, readOnly: false, deferrable: false };
      const payload = { query: `SELECT pg_sleep(30) /* ${marker} */`, params: [], arrayMode: undefined };
      const running = runPayload(losingFirstCancel, new Counters(), payload, options, { signal: controller.signal, maxResponseBytes: 1_000_000 });
      const active = async () => {
        const sessions = "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1";
        return Number((await backend.pool.query(sessions, [`%${marker} */`])).rows[0].n); // the pool reads values as text
      };
      await expect.poll(active, { timeout: 10_000 }).toBe(1);

      const abortedAt = Date.now();
      controller.abort();
      await expect(running).rejects.toMatchObject({ code: "57014" });
      expect(cancels).toBeGreaterThanOrEqual(2);
      expect(Date.now() - abortedAt).toBeLessThan(10_000); // a third of the statement's 30 s, well above any CI stall
    } finally {
      await backend.close();
    }
  });
});
