// `npm run cf-typegen` (after `wrangler types`) writes src/http/rate-limits.generated.ts from wrangler.toml's
// production [[ratelimits]], so the quota the API states in RateLimit-Policy is the one its bindings are configured
// with, written once in wrangler.toml. test/contract/rate-limits.test.ts fails when the committed module differs.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";

// wrangler types its configuration through a package it does not install for us.
type RateLimitBinding = { name: string; simple: { limit: number; period: number } };

const target = fileURLToPath(new URL("../src/http/rate-limits.generated.ts", import.meta.url));
const wranglerToml = fileURLToPath(new URL("../wrangler.toml", import.meta.url));

// Production's, as `wrangler types` is run for (staging has the same limits; development's generous ones are
// for local runs only).
const { ratelimits } = unstable_readConfig({ config: wranglerToml, env: "production" });
const limits = Object.fromEntries(
  ratelimits.map(({ name, simple }: RateLimitBinding) => [name, { limit: simple.limit, period: simple.period }]),
);
const generated = `// Generated from wrangler.toml's [[ratelimits]] by \`npm run cf-typegen\`: change the limits there, not here.
export const CONFIGURED_RATE_LIMITS = ${JSON.stringify(limits, null, 2).replace(/"(\w+)":/g, "$1:")} as const;
`;

writeFileSync(target, generated);
console.log("wrote src/http/rate-limits.generated.ts");
