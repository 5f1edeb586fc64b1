import { readFileSync } from "node:fs";
import { compileErrors, validate } from "@readme/openapi-parser";
import { Hono } from "hono/tiny";
import { describe, expect, it } from "vitest";
import app from "../../src/app";
import { openApiDocument } from "../../src/http/openapi";
import { operations } from "../../src/http/operations";
import { PROBLEMS } from "../../src/http/problem";

// That the committed document is what the app generates is `npm run openapi:check`'s job (CI runs it).
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

  it("documents every problem type of the API", () => {
    const documented = JSON.stringify(committed.components.schemas);
    for (const type of Object.keys(PROBLEMS)) expect(documented).toContain(`"urn:clients-api:problem:${type}"`);
  });

  it("cannot be built while the app serves a route that has no description", () => {
    const withExtraRoute = new Hono().route("/", app).get("/api/clients/:id/summary", (c) => c.text("summary"));
    expect(() => openApiDocument(withExtraRoute, operations)).toThrow("GET /api/clients/:id/summary is served but not described");
  });

  it("cannot be built while it describes a route the app does not serve", () => {
    const extra = { ...operations, "PUT /api/clients/:id": operations["PATCH /api/clients/:id"] };
    expect(() => openApiDocument(app, extra)).toThrow("PUT /api/clients/:id is described but not served");
  });

  it("lists for each operation only the statuses its middleware and code can answer with", () => {
    const statuses = (path: string, method: string) => Object.keys(committed.paths[path][method].responses);
    // Reads need no body: no 413, 415; only writes of a field that must be unique conflict.
    expect(statuses("/api/clients/{id}", "get")).not.toEqual(expect.arrayContaining(["409"]));
    expect(statuses("/api/clients/{id}", "get")).not.toEqual(expect.arrayContaining(["415"]));
    expect(statuses("/api/clients", "post")).toEqual(expect.arrayContaining(["409", "413", "415"]));
    // /health runs no authentication and no rate limit.
    expect(statuses("/health", "get")).not.toEqual(expect.arrayContaining(["401"]));
    expect(statuses("/health", "get")).not.toEqual(expect.arrayContaining(["429"]));
  });
});
