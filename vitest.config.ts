import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { PROBE_URL: `http://127.0.0.1:${inject("probePort" as never)}` },
            },
          })),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], globalSetup: ["test/probe-setup.ts"] },
      },
    ],
  },
});
