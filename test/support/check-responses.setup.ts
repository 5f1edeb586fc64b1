// Every response the worker gives in the worker and faults suites is checked against the OpenAPI
// document (see ./contract.ts): the app's fetch, which exports.default.fetch and the tests that call
// the app directly both go through, records what does not conform, and the test that caused it fails.
import { afterEach, expect } from "vitest";
import app from "../../src/app";
import { contractViolations } from "./contract";

const violations: string[] = [];
const handle = app.fetch;

app.fetch = async (request, env, executionContext) => {
  const { method, url } = request;
  const response = await handle(request, env, executionContext);
  // A WebSocket handshake's response cannot be cloned, and has no body.
  const body = response.webSocket ? "" : await response.clone().text();
  const found = contractViolations({ method, url, status: response.status, headers: response.headers, body });
  violations.push(...found.map((violation) => `${method} ${url}: ${violation}`));
  return response;
};

afterEach(() => {
  const found = violations.splice(0);
  expect(found, "responses that break the OpenAPI contract").toEqual([]);
});
