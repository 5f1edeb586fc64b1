import { defineConfig } from "vitest/config";

// `npm run test:browser`: the docs page and the live page in headless Chromium against `npm run dev`. Kept out of
// `npm test`, which stays fast; CI runs both.
export default defineConfig({
  test: {
    name: "browser",
    environment: "node",
    include: ["test/browser/**/*.test.ts"],
    // One `npm run dev` for all the files (see the setup file).
    globalSetup: ["test/support/node/dev-server.setup.ts"],
    testTimeout: 60_000,
    // Chromium's launch in beforeAll, on a shared and loaded machine.
    hookTimeout: 30_000,
  },
});
