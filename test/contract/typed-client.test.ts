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
      include: ["consumer.ts", "wrong-claim.ts"],
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

const EXACT = "type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;";

/** consumer.ts uses the client as a consumer would and checks every operation's statuses; wrong-claim.ts claims one too many. */
function writeConsumer(): void {
  writeFileSync(
    join(project, "consumer.ts"),
    [
      'import { createApiClient, type paths } from "clients-api-client";',
      EXACT,
      ...statusChecks(),
      'const api = createApiClient("https://api.example", { headers: { Authorization: "Bearer token" } });',
      'export const found = api.GET("/api/clients/{id}", { params: { path: { id: "chat-42" } } }).then(({ data }) => data?.client.name);',
    ].join("\n"),
  );
  writeFileSync(
    join(project, "wrong-claim.ts"),
    [
      'import type { paths } from "clients-api-client";',
      EXACT,
      'export const wrong: Exact<keyof paths["/api/clients/{id}"]["get"]["responses"], 200 | 409> = true;',
    ].join("\n"),
  );
}

/** tsc's report on the scratch project: empty when it compiles. */
function compileErrors(): string {
  try {
    execFileSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: project, encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

// One compile (tsc takes seconds) of both files.
let errors: string[];
beforeAll(() => {
  writeConsumer();
  errors = compileErrors().split("\n").filter((line) => line.includes("error TS"));
}, COMPILE_TIMEOUT_MS);

describe("the typed client, outside the repository", () => {
  it("compiles with plain tsc, each operation answering only its own statuses", () => {
    expect(statusChecks().length).toBe(Object.values(document.paths).flatMap((item) => Object.keys(item).filter((key) => METHODS.includes(key))).length);
    expect(errors.filter((line) => !line.startsWith("wrong-claim.ts"))).toEqual([]);
  });

  it("fails to compile when a status is claimed that an operation does not answer", () => {
    expect(errors).toEqual([expect.stringMatching(/^wrong-claim\.ts\(3,\d+\): error TS2322/)]);
  });
});
