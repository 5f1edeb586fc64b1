// `npm run openapi` writes the OpenAPI document generated from the zod schemas to public/openapi.json
// (served as a static asset and committed); `npm run openapi:check` fails when the committed file
// differs from what the schemas generate, so a schema change and its document land in one commit.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "../src/http/openapi";

const target = fileURLToPath(new URL("../public/openapi.json", import.meta.url));
const generated = `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // A missing file is a difference like any other.
  }
  if (committed !== generated) {
    console.error("public/openapi.json is not what the schemas generate: run `npm run openapi` and commit it.");
    process.exitCode = 1;
  }
} else {
  writeFileSync(target, generated);
  console.log(`wrote public/openapi.json (${(Buffer.byteLength(generated) / 1024).toFixed(1)} KiB)`);
}
