import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { expect } from "vitest";
import { configFor } from "../../src/config";
import { createDb } from "../../src/db/connection";
import app from "../../src/app";
import type { ChangeJson } from "../../src/http/change-json";
import type { ClientJson } from "../../src/http/client-fields";

/** The database the worker uses, for arranging rows no route would write. */
export const testDatabase = () => createDb(configFor(env).database);

export const randomId = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

const HOUR_SECONDS = 3600;
/** Now as a JWT counts time: whole seconds since the epoch. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An HS256 token for `sub`, valid for an hour; `claims` override or add claims (`sub: undefined` drops it). */
export const signToken = (sub: string | undefined, claims: Record<string, unknown> = {}) =>
  sign({ sub, exp: nowSeconds() + HOUR_SECONDS, ...claims }, env.JWT_SECRET, "HS256");

type CallOptions = {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Bindings or vars that replace the suite's for this call (other limits, an identity provider, …). */
  settings?: Record<string, unknown>;
};

/** Calls the worker as a client would: bodies other than strings and streams are sent as JSON. */
export async function call(method: string, path: string, { token, body, headers = {}, settings }: CallOptions = {}): Promise<Response> {
  const request = new Request(`https://api.test${path}`, {
    method,
    headers: {
      ...(token && { Authorization: `Bearer ${token}` }),
      ...(body !== undefined && { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined || typeof body === "string" || body instanceof ReadableStream ? body : JSON.stringify(body),
  });
  return settings ? app.fetch(request, { ...env, ...settings } as Env, createExecutionContext()) : exports.default.fetch(request);
}

/** A fresh user, unknown to every other test, and a client for it. */
export async function newUser() {
  const id = randomId("user");
  const token = await signToken(id);
  return {
    id,
    token,
    call: (method: string, path: string, options: Omit<CallOptions, "token"> = {}) =>
      call(method, path, { ...options, token }),
  };
}

export type User = Awaited<ReturnType<typeof newUser>>;

export type { ClientJson };

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: { pointer: string; detail: string }[];
};

/** Asserts an RFC 9457 problem with `status` and returns its body. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const problem = (await response.json()) as Problem;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:clients-api:problem:/) });
  expect(problem.requestId).toBe(response.headers.get("X-Request-Id"));
  return problem;
}

/** The client a response carries (`{ client }`). */
export async function clientOf(response: Response): Promise<ClientJson> {
  return ((await response.json()) as { client: ClientJson }).client;
}

export async function createClient(user: User, body: Record<string, unknown> = {}) {
  const response = await user.call("POST", "/api/clients", { body: { name: "Ada Lovelace", ...body } });
  expect(response.status).toBe(201);
  return clientOf(response);
}

/** Every client of `user`, all pages. */
export async function listAll(user: User): Promise<ClientJson[]> {
  const clients: ClientJson[] = [];
  for (let cursor: string | null = ""; cursor !== null; ) {
    const response = await user.call("GET", `/api/clients?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { clients: ClientJson[]; nextCursor: string | null };
    clients.push(...page.clients);
    cursor = page.nextCursor;
  }
  return clients;
}

export type ChangePage = { changes: ChangeJson[]; next: number };

/** One page of `user`'s change log, as GET /api/clients/changes answers `query` ("", "?after=2&limit=3", …). */
export async function changesPage(user: User, query = ""): Promise<ChangePage> {
  const response = await user.call("GET", `/api/clients/changes${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as ChangePage;
}
