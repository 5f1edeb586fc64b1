import { unstable_readConfig } from "wrangler";

// wrangler types its configuration through a package it does not install for us.
type RateLimitBinding = { name: string; simple: { limit: number; period: number } };
import { describe, expect, it } from "vitest";
import { CONFIGURED_RATE_LIMITS } from "../../src/http/rate-limits.generated";

describe("the rate limits the API states in RateLimit-Policy", () => {
  it("are wrangler.toml's production limits, which staging shares (run `npm run cf-typegen` after changing them there)", () => {
    const { ratelimits } = unstable_readConfig({ config: new URL("../../wrangler.toml", import.meta.url).pathname, env: "production" });
    const configured = Object.fromEntries(ratelimits.map(({ name, simple }: RateLimitBinding) => [name, simple]));
    expect(CONFIGURED_RATE_LIMITS).toEqual(configured);
  });
});
