// Where an error becomes a problem, and what its log line may say.
import { NeonDbError } from "@neondatabase/serverless";
import { DrizzleQueryError } from "drizzle-orm";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { MisconfiguredError } from "../../src/config";
import { DatabaseUnavailableError, UniqueViolationError } from "../../src/db/errors";
import { toApiError } from "../../src/http/errors";
import { summarizeError } from "../../src/log";

const emailViolation = () =>
  new DrizzleQueryError(
    'insert into "clients" values ($1, $2, $3)',
    ["user-1", "c-1", "ada@example.com"],
    Object.assign(new NeonDbError("duplicate key value violates unique constraint"), {
      code: "23505",
      constraint: "clients_user_id_email_key",
      detail: "Key (user_id, lower(email))=(user-1, ada@example.com) already exists.",
    }),
  );

describe("toApiError", () => {
  it.each([
    ["an error nobody classified", new TypeError("x is undefined"), 500, "internal"],
    ["a driver error the data layer did not classify", emailViolation(), 500, "internal"],
    ["the database unavailable", new DatabaseUnavailableError("down"), 503, "unavailable"],
    ["a taken email", new UniqueViolationError("email", { cause: emailViolation() }), 409, "conflict"],
    ["a bad setting", new MisconfiguredError(["JWT_SECRET"], ["JWT_SECRET must be a non-empty secret"]), 500, "misconfigured"],
    ["Hono's 413", new HTTPException(413, { message: "too big" }), 413, "payload-too-large"],
    ["an unknown 4xx from Hono", new HTTPException(418), 400, "bad-request"],
  ])("maps %s", (_, error, status, type) => {
    const problem = toApiError(error);
    expect([problem.status, problem.type]).toEqual([status, type]);
  });

  it("points a taken email at the field", () => {
    expect(toApiError(new UniqueViolationError("email", { cause: undefined })).errors).toEqual([
      { pointer: "/email", detail: "is already used by another of your clients" },
    ]);
  });
});

describe("summarizeError", () => {
  it("gives the operator the SQLSTATE, the constraint and the classes, never the query's values", () => {
    const summary = summarizeError(new UniqueViolationError("email", { cause: emailViolation() }));
    expect(summary).toEqual({
      // Drizzle's DrizzleQueryError keeps the name "Error".
      causes: ["UniqueViolationError", "Error", "NeonDbError"],
      sqlstate: "23505",
      constraint: "clients_user_id_email_key",
    });
    expect(JSON.stringify(summary)).not.toContain("ada@example.com");
  });

  it("says why the database could not be reached", () => {
    const refused = Object.assign(new NeonDbError("Error connecting to database: fetch failed"), {
      sourceError: new TypeError("Network connection lost."),
    });
    expect(summarizeError(new DatabaseUnavailableError("down", { cause: refused }))).toEqual({
      causes: ["DatabaseUnavailableError", "NeonDbError"],
      connection: "request failed: TypeError: Network connection lost.",
    });
  });

  it("labels an unclassified error by its class alone", () => {
    expect(summarizeError(new TypeError("secret detail"))).toEqual({ causes: ["TypeError"] });
  });

  it("names the settings at fault", () => {
    expect(summarizeError(new MisconfiguredError(["DB_TIMEOUT_MS"], ["rule"]))).toEqual({
      causes: ["MisconfiguredError"],
      settings: ["DB_TIMEOUT_MS"],
    });
  });
});
