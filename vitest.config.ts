import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { remoteDatabaseRefusal } from "./local/tooling/database-guard.ts";

// The tests migrate and write: only into a database on this machine, unless ALLOW_REMOTE_DATABASE=1.
const refusal = remoteDatabaseRefusal(process.env.DATABASE_URL);
if (refusal) {
  console.error(`npm test: ${refusal}`);
  process.exit(1);
}

// The plugin reads wrangler.toml through wrangler, which would speak up for every test file about the
// worker's secrets ("Using secrets defined in .dev.vars", "Missing required secrets"): the tests bind their
// own (below), so only wrangler's errors are worth showing here.
process.env.WRANGLER_LOG ??= "error";

// Five projects: the gateway's, the dev tooling's and the OpenAPI document's tests run in Node; the API's tests run inside
// workerd, each Workers project talking to a gateway that its globalSetup starts and `provide`s.
const workersProject = (
  name: string,
  globalSetup: string,
  {
    bindings = {},
    verbose = true,
  }: { bindings?: Record<string, string>; verbose?: boolean } = {},
) => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      // workerd's own diagnostics (on stderr, not tied to a test, so `silent` cannot hold them back).
      verbose,
      wrangler: { configPath: "./wrangler.toml", environment: "development" },
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
    setupFiles: ["test/support/check-responses.setup.ts"],
    // One workerd per vitest worker, reused from file to file, instead of a fresh one for each file (about a
    // second of start-up each): the files share nothing but the database, where each makes its own rows.
    isolate: false,
  },
});

export default defineConfig({
  test: {
    // The worker logs a JSON line per request: show a test's output only when it fails. A root-only
    // option: set in a project, vitest ignores it.
    silent: "passed-only",
    // Listed by name only when slower than this: on a shared 2-core machine most tests pass 300 ms (the
    // default), which would list them all. Also root-only.
    slowTestThreshold: 5000,
    // Two files at a time (vitest's default here is one, the cores less one): much of a file's time is spent
    // waiting on the processes, gateways and timeouts it tests, and the other file uses that time.
    maxWorkers: 2,
    projects: [
      { test: { name: "gateway", environment: "node", include: ["test/gateway/**/*.test.ts"] } },
      // The dev tooling's CLIs, run as a developer runs them. Here and in contract the files share no module
      // state, so a worker keeps the modules it loaded from one file to the next (isolate: false).
      { test: { name: "tooling", environment: "node", include: ["test/tooling/**/*.test.ts"], isolate: false } },
      // The OpenAPI document itself: generated from the schemas, valid OpenAPI 3.1.
      { test: { name: "contract", environment: "node", include: ["test/contract/**/*.test.ts"], isolate: false } },
      workersProject("worker", "test/support/node/worker-gateway.setup.ts"),
      // The faults share one gateway that they stop and start: one file (test/faults/faults.test.ts). A short
      // database timeout keeps the hung-database tests quick. They drop the worker's database connections on
      // purpose: workerd would report each one ("Network connection lost", with a native stack trace).
      workersProject("faults", "test/support/node/faults-gateway.setup.ts", {
        bindings: { DB_TIMEOUT_MS: "1500" },
        verbose: false,
      }),
    ],
  },
});
