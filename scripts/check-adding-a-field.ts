// `npm run check:adding-a-field`: the README's "Adding a field" steps, carried out for an optional `notes`
// field in a scratch copy of the working tree, then proof that the field reached every surface: the
// migration, the document, the typed client's types, the type checks, and the worker's field and contract
// tests (every response is checked against the regenerated document) on embedded PGlite.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));

/** The steps as the README lists them (checked below): a column in the table, its rule, a migration, the document. */
const STEPS = [
  { file: "src/db/schema.ts", before: '    createdAt: millisecondTimestamp("created_at"),', add: 'notes: text("notes"),' },
  { file: "src/http/client-fields.ts", before: "} as const satisfies FieldRules;", add: 'notes: { kind: "text", maxLength: 500, example: null },' },
  { run: "npm run db:generate -- --name notes" },
  { run: "npm run openapi" },
] as const;

const scratch = mkdtempSync(join(tmpdir(), "clients-api-field-"));
// Embedded PGlite only: the scratch copy's migration must never reach a real database.
const env = { ...process.env, DATABASE_URL: "" };
const run = (command: string[]) => execFileSync(command[0]!, command.slice(1), { cwd: scratch, env, stdio: "inherit" });

function check(what: string, ok: boolean): void {
  if (!ok) throw new Error(`the new field did not reach ${what}`);
  console.log(`ok: ${what}`);
}

const readme = readFileSync(join(repo, "README.md"), "utf8");
for (const step of STEPS) {
  const text = "run" in step ? step.run : step.add;
  if (!readme.includes(`\`${text}\``)) throw new Error(`README.md's "Adding a field" does not list this step: ${text}`);
}

try {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" });
  for (const file of files.split("\n").filter(Boolean)) {
    try {
      cpSync(join(repo, file), join(scratch, file), { recursive: true });
    } catch {
      // Listed but deleted in the working tree.
    }
  }
  symlinkSync(join(repo, "node_modules"), join(scratch, "node_modules"));

  for (const step of STEPS) {
    if ("run" in step) {
      run(step.run.split(" "));
      continue;
    }
    const path = join(scratch, step.file);
    const text = readFileSync(path, "utf8");
    if (!text.includes(step.before)) throw new Error(`${step.file} no longer has the line the step adds before: ${step.before}`);
    const indent = /^\s*/.exec(step.before)?.[0] || "  ";
    writeFileSync(path, text.replace(step.before, `${indent}${step.add}\n${step.before}`));
  }

  const migrations = readdirSync(join(scratch, "migrations")).filter((name) => name.endsWith("_notes.sql"));
  check("a migration", migrations.length === 1 && /ADD COLUMN "notes" text/.test(readFileSync(join(scratch, "migrations", migrations[0]!), "utf8")));
  const schemas = JSON.parse(readFileSync(join(scratch, "public/openapi.json"), "utf8")).components.schemas;
  for (const name of ["CreateClient", "UpdateClient", "Client"]) {
    check(`the document's ${name}`, JSON.stringify(schemas[name].properties.notes ?? {}).includes('"maxLength":500'));
  }
  check("the typed client's types", (readFileSync(join(scratch, "client/schema.d.ts"), "utf8").match(/notes\??: string \| null;/g) ?? []).length >= 3);
  run(["npm", "run", "--silent", "typecheck"]);
  run(["npx", "vitest", "run", "--project", "worker", "test/worker/fields.test.ts", "test/worker/typed-client.test.ts"]);
  check("validation, storage, every response and the contract checks", true);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`adding a field: the ${STEPS.length} steps carry it to every surface (${dirname(scratch)} cleaned up)`);
