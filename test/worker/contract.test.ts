// The checker that every worker response goes through (check-responses.setup.ts) must be able to fail:
// each rule is shown here on a made-up response.
import { describe, expect, it } from "vitest";
import { contractViolations, type Exchange } from "../support/contract";

const client = {
  id: "chat-42",
  name: "Ada Lovelace",
  email: null,
  phone: null,
  company: null,
  createdAt: "2026-11-27T18:00:01.086Z",
  updatedAt: "2026-11-27T18:00:01.086Z",
  etag: '"1"',
};

function exchange(overrides: Partial<Omit<Exchange, "headers">> & { headers?: Record<string, string> } = {}): Exchange {
  const { headers = {}, ...rest } = overrides;
  return {
    method: "POST",
    url: "https://api.test/api/clients",
    status: 201,
    body: JSON.stringify({ client }),
    ...rest,
    headers: new Headers({
      "Content-Type": "application/json",
      "X-Request-Id": "r-1",
      Location: "/api/clients/chat-42",
      ETag: client.etag,
      "RateLimit-Policy": '"writes";q=60;w=60',
      ...headers,
    }),
  };
}

describe("the contract checker", () => {
  it("accepts a response the document describes", () => {
    expect(contractViolations(exchange())).toEqual([]);
    expect(contractViolations(exchange({ method: "DELETE", url: "https://api.test/api/clients/x", status: 204, body: "" }))).toEqual([]);
  });

  it("rejects a status the operation does not list", () => {
    expect(contractViolations(exchange({ status: 410 }))).toEqual([
      "POST /api/clients answered 410, which the document does not list",
    ]);
    expect(contractViolations(exchange({ method: "GET", url: "https://api.test/nope", status: 200 }))).toHaveLength(1);
  });

  it("rejects an extra or a missing field, and a wrong type", () => {
    expect(contractViolations(exchange({ body: JSON.stringify({ client: { ...client, userId: "u" } }) }))).toHaveLength(1);
    const { email: _email, ...withoutEmail } = client;
    expect(contractViolations(exchange({ body: JSON.stringify({ client: withoutEmail }) }))).toHaveLength(1);
    expect(contractViolations(exchange({ body: JSON.stringify({ client: { ...client, createdAt: 0 } }) }))).toHaveLength(1);
  });

  it("rejects a wrong content type, a body that is not JSON and a missing required header", () => {
    expect(contractViolations(exchange({ headers: { "Content-Type": "text/plain" } }))[0]).toContain("is text/plain");
    expect(contractViolations(exchange({ body: "{" }))[0]).toContain("is not JSON");
    const noLocation = exchange();
    noLocation.headers.delete("Location");
    expect(contractViolations(noLocation)).toEqual(["POST /api/clients 201 lacks the Location header"]);
  });

  it("holds a problem to its status: its own type URNs and status number", () => {
    const problem = { type: "urn:clients-api:problem:conflict", title: "Conflict", status: 409, detail: "d", requestId: "r-1" };
    const asProblem = (status: number, body: object) =>
      exchange({ status, body: JSON.stringify(body), headers: { "Content-Type": "application/problem+json" } });
    expect(contractViolations(asProblem(409, problem))).toEqual([]);
    expect(contractViolations(asProblem(409, { ...problem, type: "urn:clients-api:problem:not-found" }))).toHaveLength(1);
    expect(contractViolations(asProblem(409, { ...problem, status: 400 }))).toHaveLength(1);
  });
});
