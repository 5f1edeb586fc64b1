// The typed client (client/) as a consumer outside this repository gets it: its folder installed as a
// package into a scratch project that has nothing of the worker, compiled with plain tsc. Each operation's
// response union must list exactly the statuses the document gives that operation.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo } from "../support/node/checkout";

const document = JSON.parse(readFileSync(join(repo, "public/openapi.json"), "utf8")) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};
// tsc takes seconds, more on a busy machine.
const COMPILE_TIMEOUT_MS = 120_000;

const project = mkdtempSync(join(tmpdir(), "clients-api-consumer-"));
beforeAll(() => {
  const modules = join(project, "node_modules");
  mkdirSync(modules);
  cpSync(join(repo, "client"), join(modules, "clients-api-client"), { recursive: true });
  symlinkSync(join(repo, "node_modules/openapi-fetch"), join(modules, "openapi-fetch"));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "Bundler", lib: ["ES2022", "DOM"], types: [], strict: true, noEmit: true },
      include: ["consumer.ts"],
    }),
  );
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

const METHODS = ["get", "post", "patch", "put", "delete"];

/** One compile-time check per operation: the union of its response statuses, exactly. */
function statusChecks(): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation], index) => {
        const statuses = Object.keys(operation.responses).join(" | ");
        return `const ${method}${index}${path.replace(/\W/g, "_")}: Exact<keyof paths[${JSON.stringify(path)}]["${method}"]["responses"], ${statuses}> = true;`;
      }),
  );
}

function writeConsumer(checks: string[]): void {
  writeFileSync(
    join(project, "consumer.ts"),
    [
      'import { createApiClient, type paths } from "clients-api-client";',
      "type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;",
      ...checks,
      'const api = createApiClient("https://api.example", { headers: { Authorization: "Bearer token" } });',
      'export const found = api.GET("/api/clients/{id}", { params: { path: { id: "chat-42" } } }).then(({ data }) => data?.client.name);',
    ].join("\n"),
  );
}

/** tsc's report on the scratch project: empty when it compiles. */
function compileErrors(): string {
  try {
    execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", project], { encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

describe("the typed client, outside the repository", () => {
  it("compiles with plain tsc, each operation answering only its own statuses", () => {
    const checks = statusChecks();
    expect(checks.length).toBe(Object.values(document.paths).flatMap((item) => Object.keys(item).filter((key) => METHODS.includes(key))).length);
    writeConsumer(checks);
    expect(compileErrors()).toBe("");
  }, COMPILE_TIMEOUT_MS);

  it("fails to compile when a status is claimed that an operation does not answer", () => {
    writeConsumer([...statusChecks(), 'const wrong: Exact<keyof paths["/api/clients/{id}"]["get"]["responses"], 200 | 409> = true;']);
    expect(compileErrors()).toMatch(/consumer\.ts\(\d+,\d+\): error TS2322/);
  }, COMPILE_TIMEOUT_MS);
});
