import { defineConfig } from "vitest/config";

// `npm run test:browser`: the docs page in headless Chromium against `npm run dev`. Kept out of
// `npm test`, which stays fast; CI runs both.
export default defineConfig({
  test: { name: "browser", environment: "node", include: ["test/browser/**/*.test.ts"], testTimeout: 60_000 },
});
