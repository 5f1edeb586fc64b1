// Copies Swagger UI's script and stylesheet from node_modules into public/docs/vendor/ (git-ignored), so
// that /docs works with no internet. wrangler.toml's [build] runs it before every `wrangler dev` and
// `wrangler deploy` (so `npm run dev`, `npm run size` and deploys from a fresh clone have them).
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];

const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const target = fileURLToPath(new URL("../public/docs/vendor/", import.meta.url));
mkdirSync(target, { recursive: true });
for (const file of FILES) copyFileSync(join(source, file), join(target, file));
