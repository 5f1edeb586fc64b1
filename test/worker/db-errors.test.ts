import { NeonDbError } from "@neondatabase/serverless";
import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { connectionFailure, DatabaseUnavailableError, findDatabaseError, isTransient, violatedUniqueConstraint } from "../../src/db/errors";
import { withOneRetry } from "../../src/db/retry";

// The error shapes of Neon's SQL-over-HTTP driver in HTTP mode, built from the driver's and Drizzle's own classes.
function neonDbError(message: string, fields: Record<string, unknown> = {}) {
  return Object.assign(new NeonDbError(message), fields);
}
const pkeyViolation = () =>
  neonDbError('duplicate key value violates unique constraint "clients_pkey"', {
    code: "23505",
    constraint: "clients_pkey",
    severity: "ERROR",
    table: "clients",
    schema: "public",
  });
const wrapped = (cause: unknown) => new DrizzleQueryError("insert into clients ...", ["u", "c"], cause as Error);

describe("SQLSTATE extraction", () => {
  it.each([
    ["DrizzleQueryError wrapping NeonDbError (neon-http query builder)", wrapped(pkeyViolation())],
    ["plain NeonDbError (neon-http db.batch)", pkeyViolation()],
    ["a cause nested three deep", new Error("outer", { cause: new Error("middle", { cause: wrapped(pkeyViolation()) }) })],
  ])("finds code and constraint in %s", (_, error) => {
    expect(findDatabaseError(error)).toEqual({ code: "23505", constraint: "clients_pkey" });
    expect(violatedUniqueConstraint(error)).toBe("clients_pkey");
  });

  it("tells the primary key from the email index", () => {
    const email = wrapped(neonDbError("duplicate", { code: "23505", constraint: "clients_user_id_email_key" }));
    expect(violatedUniqueConstraint(email)).toBe("clients_user_id_email_key");
  });

  it("reports no unique constraint for other SQLSTATEs", () => {
    for (const code of ["23502", "22P02", "42P01", "42601"]) {
      const error = wrapped(neonDbError("failed", { code, constraint: code === "23502" ? undefined : "x" }));
      expect(findDatabaseError(error)?.code).toBe(code);
      expect(violatedUniqueConstraint(error)).toBeUndefined();
    }
  });

  it.each([
    ["a connection error (rejected fetch)", neonDbError("Error connecting to database: TypeError: fetch failed", { sourceError: new TypeError("fetch failed") })],
    ["an HTTP server error", neonDbError("Server error (HTTP status 500): boom")],
    ["a non-database error", new TypeError("x is undefined")],
    ["a Node system error", Object.assign(new Error("broken pipe"), { code: "EPIPE" })],
    ["a string", "23505"],
    ["null", null],
    ["undefined", undefined],
    ["an object with a numeric code", { code: 23505 }],
  ])("finds nothing in %s", (_, error) => {
    expect(findDatabaseError(error)).toBeUndefined();
  });

  it("terminates on cyclic causes", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(findDatabaseError(a)).toBeUndefined();
    const selfCaused: { cause?: unknown } = new Error("self");
    selfCaused.cause = selfCaused;
    expect(isTransient(selfCaused)).toBe(false);
    const cycleAroundDbError = wrapped(pkeyViolation());
    (cycleAroundDbError.cause as { cause?: unknown }).cause = cycleAroundDbError;
    expect(findDatabaseError(cycleAroundDbError)?.code).toBe("23505");
  });

  it("stops at a bounded depth", () => {
    let deep: unknown = pkeyViolation();
    for (let n = 0; n < 50; n++) deep = new Error(`level ${n}`, { cause: deep });
    expect(findDatabaseError(deep)).toBeUndefined();
  });
});

describe("transient failures", () => {
  it.each([
    ["08006 connection failure", wrapped(neonDbError("x", { code: "08006" }))],
    ["08P01 query cancelled as the connection ended", wrapped(neonDbError("x", { code: "08P01" }))],
    ["57P01 admin shutdown", wrapped(neonDbError("x", { code: "57P01" }))],
    ["53300 too many connections", wrapped(neonDbError("x", { code: "53300" }))],
    ["40001 serialization failure", neonDbError("x", { code: "40001" })],
    ["40P01 deadlock", wrapped(neonDbError("x", { code: "40P01" }))],
    ["the driver's connection error", wrapped(neonDbError("Error connecting to database: fetch failed", { sourceError: new TypeError("fetch failed") }))],
    ["an HTTP 503 from the proxy", wrapped(neonDbError("Server error (HTTP status 503): unavailable"))],
    ["a timeout while reading the response", wrapped(new DOMException("timed out", "TimeoutError"))],
  ])("%s is transient", (_, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ["23505 unique violation", wrapped(pkeyViolation())],
    ["42601 syntax error", wrapped(neonDbError("x", { code: "42601" }))],
    ["28P01 bad password", wrapped(neonDbError("x", { code: "28P01" }))],
    ["an HTTP 413 from the proxy", wrapped(neonDbError("Server error (HTTP status 413): too large"))],
    ["an HTTP 507 from the proxy", wrapped(neonDbError("Server error (HTTP status 507): response too large"))],
    ["an HTTP 507 in Neon's error shape", wrapped(neonDbError(`Server error (HTTP status 507): ${JSON.stringify({ message: "response is too large" })}`))],
    ["a programming error", new TypeError("x is undefined")],
  ])("%s is not transient", (_, error) => {
    expect(isTransient(error)).toBe(false);
  });

  it.each([
    ["a timeout", wrapped(new DOMException("timed out", "TimeoutError")), "timed out"],
    ["the proxy's status", wrapped(neonDbError("Server error (HTTP status 503): unavailable")), "HTTP status 503"],
    [
      "the proxy's reason for a failure of its own",
      wrapped(neonDbError(`Server error (HTTP status 500): ${JSON.stringify({ message: "Couldn't connect to compute node: timeout", code: "" })}`)),
      "HTTP status 500: Couldn't connect to compute node: timeout",
    ],
    ["the status alone of a 4xx, whose message may quote the request", wrapped(neonDbError(`Server error (HTTP status 413): ${JSON.stringify({ message: "secret-value" })}`)), "HTTP status 413"],
    ["a refused connection", wrapped(neonDbError("Error connecting to database: fetch failed", { sourceError: new TypeError("fetch failed") })), "request failed: TypeError: fetch failed"],
    ["a fetch that timed out", neonDbError("Error connecting to database", { sourceError: new DOMException("timed out", "TimeoutError") }), "request failed: timed out"],
    ["a query PostgreSQL refused", wrapped(pkeyViolation()), undefined],
    ["a programming error", new TypeError("x is undefined"), undefined],
  ])("connectionFailure names %s", (_, error, reason) => {
    expect(connectionFailure(error)).toBe(reason);
  });
});

describe("withOneRetry", () => {
  const connectionError = neonDbError("Error connecting to database", { sourceError: new Error("refused") });
  function statement(...outcomes: unknown[]) {
    const run = async () => {
      const outcome = outcomes[run.calls++];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    };
    run.calls = 0;
    return run;
  }

  it("retries a transient failure once and returns the second answer", async () => {
    const run = statement(connectionError, "ok");
    await expect(withOneRetry(run)).resolves.toBe("ok");
    expect(run.calls).toBe(2);
  });

  it("reports the database unavailable after a second transient failure, with the failure as cause", async () => {
    const run = statement(connectionError, connectionError, "never");
    const error = await withOneRetry(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).cause).toBe(connectionError);
    expect(run.calls).toBe(2);
  });

  it("throws any other failure at once, as it came", async () => {
    const violation = wrapped(pkeyViolation());
    const run = statement(violation, "never");
    await expect(withOneRetry(run)).rejects.toBe(violation);
    expect(run.calls).toBe(1);
  });

  it("throws a permanent failure of the retry as it came", async () => {
    const violation = wrapped(pkeyViolation());
    const run = statement(connectionError, violation);
    await expect(withOneRetry(run)).rejects.toBe(violation);
    expect(run.calls).toBe(2);
  });
});
