// /health needs no token, so anyone may call it as often as they like: it must not become a lever on the
// database. An isolate checks the database at most once per HEALTH_CHECK_MAX_AGE_MS and answers every other
// call with that check. The faults' tests run one at a time (one file), so its gateway's counters are this test's.
import { describe, expect, it } from "vitest";
import { HEALTH_CHECK_MAX_AGE_MS } from "../../src/http/routes/health";
import { call } from "../support/api";
import { gatewayStats } from "../support/gateway-control";

const statements = async () => Object.values((await gatewayStats()).statements).reduce((sum, n) => sum + n, 0);

describe("GET /health under load", () => {
  it("2,000 calls cost the database at most one statement per isolate every few seconds", { timeout: 60_000 }, async () => {
    const before = await statements();
    const started = Date.now();
    for (let wave = 0; wave < 20; wave++) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => call("GET", "/health")));
      expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
    }
    const windows = Math.ceil((Date.now() - started) / HEALTH_CHECK_MAX_AGE_MS);
    expect(await statements() - before).toBeLessThanOrEqual(windows + 1);
  });
});
