// The typed client (src/client.ts) against the worker: each call's input and each status's body are
// typed; expectTypeOf pins those types (checked by `npm run typecheck`), expect the values.
import { exports } from "cloudflare:workers";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createApiClient } from "../../src/client";
import type { ClientJson, ProblemJson } from "../../src/http/response-schemas";
import { randomId, signToken } from "../support/api";

async function apiFor(userId: string) {
  const token = await signToken(userId);
  return createApiClient("https://api.test", {
    headers: { Authorization: `Bearer ${token}` },
    fetch: (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(input, init),
  }).api.clients;
}

/** Fails unless `response` has `status`, and narrows its type to that status's response. */
function expectStatus<R extends { status: number }, S extends R["status"]>(
  response: R,
  status: S,
): asserts response is Extract<R, { status: S }> {
  expect(response.status).toBe(status);
}

describe("the typed client", () => {
  it("creates (201 with Location), gets the existing row back (200), and reports a taken email (409)", async () => {
    const clients = await apiFor(randomId("user"));
    const id = randomId("c");
    const email = `${randomId("mail")}@example.com`;

    const created = await clients.$post({ json: { id, name: "Ada Lovelace", email } });
    expectStatus(created, 201);
    expect(created.headers.get("Location")).toBe(`/api/clients/${id}`);
    const { client } = await created.json();
    expectTypeOf(client).toEqualTypeOf<ClientJson>();
    expect(client).toMatchObject({ id, name: "Ada Lovelace", email, phone: null, company: null });

    const existing = await clients.$post({ json: { id, name: "Someone else" } });
    expectStatus(existing, 200);
    expect(await existing.json()).toEqual({ client });

    const conflict = await clients.$post({ json: { name: "Twin", email } });
    expectStatus(conflict, 409);
    const problem = await conflict.json();
    expectTypeOf(problem).toEqualTypeOf<ProblemJson<409>>();
    expectTypeOf(problem.type).toEqualTypeOf<"urn:clients-api:problem:conflict">();
    expect(problem).toMatchObject({ type: "urn:clients-api:problem:conflict", status: 409, errors: [{ pointer: "/email" }] });
  });

  it("gets a client, and a typed 404 problem for a missing one", async () => {
    const clients = await apiFor(randomId("user"));
    const created = await clients.$post({ json: { name: "Grace Hopper" } });
    expectStatus(created, 201);
    const { client } = await created.json();

    const found = await clients[":id"].$get({ param: { id: client.id } });
    expectStatus(found, 200);
    expect(await found.json()).toEqual({ client });

    const missing = await clients[":id"].$get({ param: { id: randomId("c") } });
    expectStatus(missing, 404);
    const problem = await missing.json();
    expectTypeOf(problem.status).toEqualTypeOf<404>();
    expect(problem).toMatchObject({ type: "urn:clients-api:problem:not-found", status: 404 });
  });

  it("lists the caller's clients a page at a time with the cursor", async () => {
    const clients = await apiFor(randomId("user"));
    const names = ["first", "second", "third"];
    for (const name of names) expectStatus(await clients.$post({ json: { name } }), 201);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await clients.$get({ query: { limit: "2", ...(cursor && { cursor }) } });
      expectStatus(page, 200);
      const body = await page.json();
      expectTypeOf(body).toEqualTypeOf<{ clients: ClientJson[]; nextCursor: string | null }>();
      expect(body.clients.length).toBeLessThanOrEqual(2);
      seen.push(...body.clients.map((client) => client.name));
      cursor = body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...names].reverse());
  });

  it("patches a client, then deletes it (204), after which it is gone", async () => {
    const clients = await apiFor(randomId("user"));
    const created = await clients.$post({ json: { name: "Ada", phone: "+1 555 0100" } });
    expectStatus(created, 201);
    const { id } = (await created.json()).client;

    const patched = await clients[":id"].$patch({ param: { id }, json: { company: "Analytical Engines", phone: null } });
    expectStatus(patched, 200);
    expect((await patched.json()).client).toMatchObject({ id, name: "Ada", phone: null, company: "Analytical Engines" });

    const deleted = await clients[":id"].$delete({ param: { id } });
    expectStatus(deleted, 204);
    expect(await deleted.text()).toBe("");
    expectStatus(await clients[":id"].$get({ param: { id } }), 404);
  });
});
