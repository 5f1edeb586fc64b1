// The typed client (client/index.ts, generated from the OpenAPI document) against the worker: each call's
// input and each status's body are typed; expectTypeOf pins those types (checked by `npm run typecheck`),
// expect the values. test/contract/typed-client.test.ts compiles it outside this repository.
import { exports } from "cloudflare:workers";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createApiClient, type components } from "../../client";
import type { ClientJson } from "../../src/http/client-fields";
import { randomId, signToken } from "../support/api";

type Schemas = components["schemas"];

async function apiFor(userId: string) {
  const token = await signToken(userId);
  return createApiClient("https://api.test", {
    headers: { Authorization: `Bearer ${token}` },
    fetch: (request: Request) => exports.default.fetch(request),
  });
}

describe("the typed client", () => {
  it("knows every field of a client", () => {
    expectTypeOf<keyof Schemas["Client"]>().toEqualTypeOf<keyof ClientJson>();
    expectTypeOf<Schemas["Client"]>().toExtend<ClientJson>();
  });

  it("creates (201 with Location), gets the existing row back (200), and reports a taken email (409)", async () => {
    const api = await apiFor(randomId("user"));
    const id = randomId("c");
    const email = `${randomId("mail")}@example.com`;

    const created = await api.POST("/api/clients", { body: { id, name: "Ada Lovelace", email } });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get("Location")).toBe(`/api/clients/${id}`);
    expectTypeOf(created.data).toEqualTypeOf<Schemas["ClientEnvelope"] | undefined>();
    const client = created.data!.client;
    expect(client).toMatchObject({ id, name: "Ada Lovelace", email, phone: null, company: null });

    const existing = await api.POST("/api/clients", { body: { id, name: "Someone else" } });
    expect(existing.response.status).toBe(200);
    expect(existing.data).toEqual({ client });

    const conflict = await api.POST("/api/clients", { body: { name: "Twin", email } });
    expect(conflict.response.status).toBe(409);
    // Problems, or a string: the page the platform answers with before the worker runs (414; 413 over the plan's limit).
    expectTypeOf<Extract<NonNullable<typeof conflict.error>, string>>().toEqualTypeOf<string>();
    expectTypeOf<Exclude<NonNullable<typeof conflict.error>, string>["status"]>().toEqualTypeOf<400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503>();
    expect(conflict.error).toMatchObject({ type: "urn:clients-api:problem:conflict", status: 409, errors: [{ pointer: "/email" }] });
  });

  it("gets a client, and a typed 404 problem for a missing one", async () => {
    const api = await apiFor(randomId("user"));
    const created = await api.POST("/api/clients", { body: { name: "Grace Hopper" } });
    const client = created.data!.client;

    const found = await api.GET("/api/clients/{id}", { params: { path: { id: client.id } } });
    expect(found.data).toEqual({ client });

    const missing = await api.GET("/api/clients/{id}", { params: { path: { id: randomId("c") } } });
    expect(missing.response.status).toBe(404);
    // A read conflicts with nothing and takes no body: its problems are its own statuses' only.
    expectTypeOf<Exclude<NonNullable<typeof missing.error>, string>["status"]>().toEqualTypeOf<400 | 401 | 404 | 429 | 500 | 503>();
    expect(missing.error).toMatchObject({ type: "urn:clients-api:problem:not-found", status: 404 });
  });

  it("lists the caller's clients a page at a time with the cursor", async () => {
    const api = await apiFor(randomId("user"));
    const names = ["first", "second", "third"];
    for (const name of names) expect((await api.POST("/api/clients", { body: { name } })).response.status).toBe(201);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.GET("/api/clients", { params: { query: { limit: 2, cursor } } });
      expectTypeOf(page.data).toEqualTypeOf<Schemas["ClientPage"] | undefined>();
      expect(page.data!.clients.length).toBeLessThanOrEqual(2);
      seen.push(...page.data!.clients.map((client) => client.name));
      cursor = page.data!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...names].reverse());
  });

  it("patches a client, then deletes it (204), after which it is gone", async () => {
    const api = await apiFor(randomId("user"));
    const { id } = (await api.POST("/api/clients", { body: { name: "Ada", phone: "+1 555 0100" } })).data!.client;
    const path = { params: { path: { id } } };

    const patched = await api.PATCH("/api/clients/{id}", { ...path, body: { company: "Analytical Engines", phone: null } });
    expect(patched.data?.client).toMatchObject({ id, name: "Ada", phone: null, company: "Analytical Engines" });

    const deleted = await api.DELETE("/api/clients/{id}", path);
    expect(deleted.response.status).toBe(204);
    expect((await api.GET("/api/clients/{id}", path)).response.status).toBe(404);
  });

  it("sends If-None-Match (304), If-Match (a typed 412) and Idempotency-Key (200, a typed 422), and reads ETag and RateLimit-Policy", async () => {
    const api = await apiFor(randomId("user"));
    const key = randomId("key");
    const created = await api.POST("/api/clients", { params: { header: { "Idempotency-Key": key } }, body: { name: "Ada" } });
    expect(created.response.status).toBe(201);
    const client = created.data!.client;
    expect(created.response.headers.get("ETag")).toBe(client.etag);
    expect(created.response.headers.get("RateLimit-Policy")).toMatch(/^"writes";q=\d+;w=\d+$/);

    const replayed = await api.POST("/api/clients", { params: { header: { "Idempotency-Key": key } }, body: { name: "Ada" } });
    expect([replayed.response.status, replayed.data]).toEqual([200, { client }]);
    const reused = await api.POST("/api/clients", { params: { header: { "Idempotency-Key": key } }, body: { name: "Grace" } });
    expect(reused.error).toMatchObject({ type: "urn:clients-api:problem:idempotency-key-reused", status: 422 });

    const path = { id: client.id };
    const unchanged = await api.GET("/api/clients/{id}", { params: { path, header: { "If-None-Match": client.etag } } });
    expect([unchanged.response.status, unchanged.response.headers.get("ETag")]).toEqual([304, client.etag]);

    const patched = await api.PATCH("/api/clients/{id}", { params: { path, header: { "If-Match": client.etag } }, body: { company: "ACME" } });
    expect(patched.data?.client.company).toBe("ACME");
    const stale = await api.PATCH("/api/clients/{id}", { params: { path, header: { "If-Match": client.etag } }, body: { company: "Lost" } });
    expectTypeOf<Exclude<NonNullable<typeof stale.error>, string>["status"]>().toEqualTypeOf<400 | 401 | 404 | 409 | 412 | 413 | 415 | 429 | 500 | 503>();
    expect(stale.error).toMatchObject({ type: "urn:clients-api:problem:precondition-failed", status: 412 });
    const refused = await api.DELETE("/api/clients/{id}", { params: { path, header: { "If-Match": client.etag } } });
    expect(refused.response.status).toBe(412);
    const deleted = await api.DELETE("/api/clients/{id}", { params: { path, header: { "If-Match": patched.data!.client.etag } } });
    expect(deleted.response.status).toBe(204);
  });

  it("follows the change log: the current position, then the changes after it, typed by op (410 typed too)", async () => {
    const api = await apiFor(randomId("user"));
    const start = await api.GET("/api/clients/changes");
    expectTypeOf(start.data).toEqualTypeOf<Schemas["ChangePage"] | undefined>();
    expect(start.data).toEqual({ changes: [], next: 0 });

    const { client } = (await api.POST("/api/clients", { body: { name: "Ada" } })).data!;
    await api.DELETE("/api/clients/{id}", { params: { path: { id: client.id } } });
    const changes = await api.GET("/api/clients/changes", { params: { query: { after: start.data!.next } } });
    const [created, deleted] = changes.data!.changes;
    expect(created).toEqual({ seq: 1, op: "created", client });
    expect(deleted).toEqual({ seq: 2, op: "deleted", client: { id: client.id, etag: client.etag } });
    expect(changes.data!.next).toBe(2);
    if (deleted?.op === "deleted") expectTypeOf(deleted.client).toEqualTypeOf<{ id: string; etag: string }>();

    const ahead = await api.GET("/api/clients/changes", { params: { query: { after: 3 } } });
    expectTypeOf<Exclude<NonNullable<typeof ahead.error>, string>["status"]>().toEqualTypeOf<400 | 401 | 410 | 429 | 500 | 503>();
    expect(ahead.error).toMatchObject({ type: "urn:clients-api:problem:position-unknown", status: 410 });
  });

  it("knows the live socket's message", () => {
    expectTypeOf<Schemas["ChangeMessage"]>().toExtend<{ type: "change" } & Schemas["Change"]>();
  });
});
