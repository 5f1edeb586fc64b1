import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules", ".wrangler", "dist", ".data", "worker-configuration.d.ts", "migrations", "public/docs/vendor", "test-artifacts"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  // The docs page's one script runs in the browser, after Swagger UI's bundle.
  { files: ["public/**/*.js"], languageOptions: { globals: { window: "readonly", SwaggerUIBundle: "readonly" } } },
  // The live page's scripts: ES modules in the browser, on the browser's own globals.
  {
    files: ["public/live/*.js"],
    languageOptions: {
      globals: Object.fromEntries(
        ["document", "location", "history", "fetch", "WebSocket", "URLSearchParams", "FormData", "setTimeout"].map((name) => [name, "readonly"]),
      ),
    },
    // follow.js is the README's snippet word for word, which calls one of two functions with a ternary.
    rules: { "@typescript-eslint/no-unused-expressions": ["error", { allowTernary: true }] },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
