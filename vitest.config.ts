import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The plugin reads wrangler.toml through wrangler, which announces "Using secrets defined in .dev.vars" for
// every test file once `npm run dev` has made that file; the tests set their own bindings. Warnings still show.
process.env.WRANGLER_LOG ??= "warn";

// Three projects: the gateway's own tests run in Node; the API's tests run inside workerd, each
// Workers project talking to a gateway that its globalSetup starts and `provide`s.
const workersProject = (
  name: string,
  globalSetup: string,
  {
    bindings = {},
    fileParallelism = true,
    verbose = true,
  }: { bindings?: Record<string, string>; fileParallelism?: boolean; verbose?: boolean } = {},
) => ({
  plugins: [
    cloudflareTest(({ inject }) => ({
      // workerd's own diagnostics (on stderr, not tied to a test, so `silent` cannot hold them back).
      verbose,
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          NEON_FETCH_ENDPOINT: inject("gatewayUrl"),
          DATABASE_URL: "postgresql://app:app@localhost/app",
          JWT_SECRET: inject("jwtSecret"),
          ...bindings,
        },
      },
    })),
  ],
  test: { name, include: [`test/${name}/**/*.test.ts`], globalSetup: [globalSetup], fileParallelism },
});

export default defineConfig({
  test: {
    // The worker logs a JSON line per request: show a test's output only when it fails. A root-only
    // option: set in a project, vitest ignores it.
    silent: "passed-only",
    // Listed by name only when slower than this: on a shared 2-core machine most tests pass 300 ms (the
    // default), which would list them all. Also root-only.
    slowTestThreshold: 5000,
    projects: [
      {
        test: {
          name: "gateway",
          environment: "node",
          include: ["test/gateway/**/*.test.ts"],
        },
      },
      workersProject("worker", "test/setup/worker.ts"),
      // The faults files share one gateway that they stop and start: one file at a time. A short
      // database timeout keeps the hung-database tests quick. They drop the worker's database connections on
      // purpose: workerd would report each one ("Network connection lost", with a native stack trace).
      workersProject("faults", "test/setup/faults.ts", {
        bindings: { DB_TIMEOUT_MS: "1500" },
        fileParallelism: false,
        verbose: false,
      }),
    ],
  },
});
