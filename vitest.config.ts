import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Three projects: the gateway's own tests run in Node; the API's tests run inside workerd, each
// Workers project talking to a gateway that its globalSetup starts and `provide`s.
// The worker logs a JSON line per request: show a test's output only when it fails.
const silent = "passed-only" as const;

const workersProject = (
  name: string,
  globalSetup: string,
  { bindings = {}, fileParallelism = true }: { bindings?: Record<string, string>; fileParallelism?: boolean } = {},
) => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          NEON_FETCH_ENDPOINT: inject("gatewayUrl"),
          DATABASE_URL: inject("gatewayConnectionString"),
          JWT_SECRET: inject("jwtSecret"),
          ...bindings,
        },
        // Tests send many requests per user within a minute: generous limits keep the per-user rate limits
        // (wrangler.toml) out of their way. rate-limit.test.ts swaps in the strict ones to see a limit at work.
        ratelimits: {
          WRITE_LIMITER: { namespace_id: "1001", simple: { limit: 100_000, period: 60 } },
          READ_LIMITER: { namespace_id: "1002", simple: { limit: 100_000, period: 60 } },
          STRICT_WRITE_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 60 } },
          STRICT_READ_LIMITER: { namespace_id: "9002", simple: { limit: 3, period: 60 } },
        },
      },
    })),
  ],
  test: {
    name,
    include: [`test/${name}/**/*.test.ts`],
    globalSetup: [globalSetup],
    setupFiles: ["test/worker/check-responses.setup.ts"],
    fileParallelism,
    silent,
  },
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "gateway",
          environment: "node",
          include: ["test/gateway/**/*.test.ts"],
          silent,
        },
      },
      // The OpenAPI document itself: generated from the schemas, valid OpenAPI 3.1.
      { test: { name: "contract", environment: "node", include: ["test/contract/**/*.test.ts"], silent } },
      workersProject("worker", "test/setup/worker.ts"),
      // The faults files share one gateway that they stop and start: one file at a time. A short
      // database timeout keeps the hung-database tests quick.
      workersProject("faults", "test/setup/faults.ts", { bindings: { DB_TIMEOUT_MS: "1500" }, fileParallelism: false }),
    ],
  },
});
