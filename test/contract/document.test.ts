import { readFileSync } from "node:fs";
import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/http/openapi";
import { PROBLEMS } from "../../src/http/problem";

const committed = JSON.parse(readFileSync(new URL("../../public/openapi.json", import.meta.url), "utf8"));

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document, without warnings", async () => {
    // The parser dereferences in place: give it a copy.
    const result = await validate(structuredClone(committed));
    expect(result.valid, compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(result.specification).toBe("OpenAPI");
    expect(committed.openapi).toMatch(/^3\.1\./);
  });

  it("is what the zod schemas generate (run `npm run openapi` after changing them)", () => {
    expect(committed).toEqual(openApiDocument());
  });

  it("documents every problem type of the API", () => {
    const documented = JSON.stringify(committed.components.schemas);
    for (const type of Object.keys(PROBLEMS)) expect(documented).toContain(`"urn:clients-api:problem:${type}"`);
  });

  it("documents every operation, each with its success and problem statuses", () => {
    const statuses = Object.fromEntries(
      Object.entries(committed.paths as Record<string, Record<string, { responses?: object }>>).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => method !== "parameters")
          .map(([method, operation]) => [`${method.toUpperCase()} ${path}`, Object.keys(operation.responses ?? {}).sort()]),
      ),
    );
    expect(statuses).toEqual({
      "POST /api/clients": ["200", "201", "400", "401", "409", "413", "415", "429", "500", "503"],
      "GET /api/clients": ["200", "400", "401", "429", "500", "503"],
      "GET /api/clients/{id}": ["200", "400", "401", "404", "429", "500", "503"],
      "PATCH /api/clients/{id}": ["200", "400", "401", "404", "409", "413", "415", "429", "500", "503"],
      "DELETE /api/clients/{id}": ["204", "400", "401", "404", "429", "500", "503"],
      "GET /health": ["200", "500", "503"],
    });
  });
});
