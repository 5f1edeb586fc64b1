// ETags and conditional requests (RFC 9110 §13): every response that carries a client has its version as
// a strong ETag; If-None-Match turns a GET of the current version into a 304; If-Match makes a PATCH or
// DELETE apply only over the version the caller saw, checked in the write's own statement.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientOf, type ClientJson, createClient, expectProblem, newUser, randomId, type User } from "../support/api";

const path = (client: Pick<ClientJson, "id">) => `/api/clients/${client.id}`;

async function expectPreconditionFailed(response: Response) {
  const problem = await expectProblem(response, 412);
  expect(problem.type).toBe("urn:clients-api:problem:precondition-failed");
}

async function read(user: User, client: Pick<ClientJson, "id">): Promise<ClientJson> {
  const response = await user.call("GET", path(client));
  expect(response.status).toBe(200);
  return clientOf(response);
}

describe("ETag", () => {
  it("is on every response that carries a client, equals its `etag`, and changes on every write", async () => {
    const user = await newUser();
    const id = randomId("c");
    const created = await user.call("POST", "/api/clients", { body: { id, name: "Ada" } });
    const repeated = await user.call("POST", "/api/clients", { body: { id, name: "Ada" } });
    const fetched = await user.call("GET", `/api/clients/${id}`);
    const patched = await user.call("PATCH", `/api/clients/${id}`, { body: { company: "ACME" } });
    const [c, r, f, p] = await Promise.all([created, repeated, fetched, patched].map(async (response) => ({
      header: response.headers.get("ETag"),
      body: await clientOf(response),
    })));
    for (const { header, body } of [c!, r!, f!, p!]) {
      expect(header).toMatch(/^"[1-9]\d*"$/);
      expect(body.etag).toBe(header);
    }
    expect(r!.header).toBe(c!.header);
    expect(f!.header).toBe(c!.header);
    expect(p!.header).not.toBe(c!.header);
    const list = (await (await user.call("GET", "/api/clients")).json()) as { clients: ClientJson[] };
    expect(list.clients.map((client) => client.etag)).toEqual([p!.header]);
  });

  it("never repeats for a client deleted and created again under the same id", async () => {
    const user = await newUser();
    const first = await createClient(user, { id: randomId("c") });
    expect((await user.call("DELETE", path(first))).status).toBe(204);
    const second = await createClient(user, { id: first.id });
    expect(second.etag).not.toBe(first.etag);
  });
});

describe("GET with If-None-Match", () => {
  it.each([
    ["the current tag", (etag: string) => etag],
    ["its weak form", (etag: string) => `W/${etag}`],
    ["a list holding it", (etag: string) => `"1", ${etag}`],
    ["*", () => "*"],
  ])("304 with the ETag and no body for %s", async (_, condition) => {
    const user = await newUser();
    const client = await createClient(user);
    const response = await user.call("GET", path(client), { headers: { "If-None-Match": condition(client.etag) } });
    expect(response.status).toBe(304);
    expect(response.headers.get("ETag")).toBe(client.etag);
    expect(response.headers.get("X-Request-Id")).toBeTruthy();
    expect(response.headers.get("Content-Type")).toBeNull();
    expect(await response.text()).toBe("");
  });

  it("200 with the client when the tag is not current", async () => {
    const user = await newUser();
    const client = await createClient(user);
    await user.call("PATCH", path(client), { body: { name: "Changed" } });
    const response = await user.call("GET", path(client), { headers: { "If-None-Match": client.etag } });
    expect(response.status).toBe(200);
    expect((await clientOf(response)).name).toBe("Changed");
  });

  it("404 for a missing client, whatever the tag", async () => {
    const user = await newUser();
    await expectProblem(await user.call("GET", `/api/clients/${randomId("c")}`, { headers: { "If-None-Match": "*" } }), 404);
  });

  it("400 for a value that is not a list of entity tags", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const problem = await expectProblem(await user.call("GET", path(client), { headers: { "If-None-Match": "42" } }), 400);
    expect(problem.detail).toContain("If-None-Match");
  });
});

describe("PATCH with If-Match", () => {
  it("200 with a new ETag when the tag is current, and the change is stored", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const response = await user.call("PATCH", path(client), { body: { name: "New" }, headers: { "If-Match": client.etag } });
    expect(response.status).toBe(200);
    const updated = await clientOf(response);
    expect(response.headers.get("ETag")).toBe(updated.etag);
    expect(updated.etag).not.toBe(client.etag);
    expect(await read(user, client)).toEqual(updated);
  });

  it("412 problem for a stale tag, and nothing is written", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const current = await clientOf(await user.call("PATCH", path(client), { body: { name: "Second" } }));
    await expectPreconditionFailed(await user.call("PATCH", path(client), { body: { name: "Lost" }, headers: { "If-Match": client.etag } }));
    expect(await read(user, client)).toEqual(current);
  });

  it.each([
    ["a weak tag (If-Match compares strongly)", (etag: string) => `W/${etag}`],
    ["a tag this API never issued", () => '"not-a-version"'],
  ])("412 for %s", async (_, condition) => {
    const user = await newUser();
    const client = await createClient(user);
    await expectPreconditionFailed(
      await user.call("PATCH", path(client), { body: { name: "Lost" }, headers: { "If-Match": condition(client.etag) } }),
    );
    expect(await read(user, client)).toEqual(client);
  });

  it("200 when any tag of a list is current, and for *", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const listed = await user.call("PATCH", path(client), { body: { name: "One" }, headers: { "If-Match": `"1", ${client.etag}` } });
    expect(listed.status).toBe(200);
    const any = await user.call("PATCH", path(client), { body: { name: "Two" }, headers: { "If-Match": "*" } });
    expect(any.status).toBe(200);
    expect((await read(user, client)).name).toBe("Two");
  });

  it("404 for a missing client, with * or a tag", async () => {
    const user = await newUser();
    for (const condition of ["*", '"1"']) {
      const response = await user.call("PATCH", `/api/clients/${randomId("c")}`, { body: { name: "X" }, headers: { "If-Match": condition } });
      await expectProblem(response, 404);
    }
  });

  it("404 for another user's client, even with its current tag", async () => {
    const [owner, other] = await Promise.all([newUser(), newUser()]);
    const client = await createClient(owner);
    await expectProblem(await other.call("PATCH", path(client), { body: { name: "X" }, headers: { "If-Match": client.etag } }), 404);
    expect(await read(owner, client)).toEqual(client);
  });

  it("400 for a value that is not a list of entity tags, and nothing is written", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const problem = await expectProblem(
      await user.call("PATCH", path(client), { body: { name: "X" }, headers: { "If-Match": `${client.etag.slice(1, -1)}` } }),
      400,
    );
    expect(problem.detail).toContain("If-Match");
    expect(await read(user, client)).toEqual(client);
  });

  it("20 concurrent PATCHes with one If-Match: exactly one 200 and nineteen 412, and the winner's change is stored", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        user.call("PATCH", path(client), { body: { company: `Writer ${n}` }, headers: { "If-Match": client.etag } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(19);
    const winner = responses[statuses.indexOf(200)]!;
    const stored = await clientOf(winner);
    await Promise.all(responses.filter((response) => response !== winner).map((response) => response.text()));
    expect(await read(user, client)).toEqual(stored);
  });
});

describe("DELETE with If-Match", () => {
  it("204 when the tag is current", async () => {
    const user = await newUser();
    const client = await createClient(user);
    expect((await user.call("DELETE", path(client), { headers: { "If-Match": client.etag } })).status).toBe(204);
    await expectProblem(await user.call("GET", path(client)), 404);
  });

  it("412 for a stale tag, and the client stays", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const current = await clientOf(await user.call("PATCH", path(client), { body: { name: "Changed" } }));
    await expectPreconditionFailed(await user.call("DELETE", path(client), { headers: { "If-Match": client.etag } }));
    expect(await read(user, client)).toEqual(current);
  });

  it("204 for *, and 404 for a missing client whatever the tag", async () => {
    const user = await newUser();
    const client = await createClient(user);
    expect((await user.call("DELETE", path(client), { headers: { "If-Match": "*" } })).status).toBe(204);
    await expectProblem(await user.call("DELETE", path(client), { headers: { "If-Match": "*" } }), 404);
    await expectProblem(await user.call("DELETE", path(client), { headers: { "If-Match": client.etag } }), 404);
  });

  it("without If-Match deletes whatever version is stored, as before", async () => {
    const user = await newUser();
    const client = await createClient(user);
    await user.call("PATCH", path(client), { body: { name: "Changed" } });
    expect((await user.call("DELETE", path(client))).status).toBe(204);
  });
});

// Several editors of one client, each patching over the ETag it last saw, in any interleaving: some
// steps one after another, some at once. No acknowledged change may be lost: the 200s form one chain in
// which each was written over the ETag the previous one returned, and the stored client is the last.
describe("no lost update, for any interleaving of PATCHes with If-Match", () => {
  const EDITORS = 3;
  const step = fc.record({ editor: fc.nat(EDITORS - 1), action: fc.constantFrom("read", "patch") });
  const schedule = fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 });

  it("every 200 is in the stored client or was overwritten by a 200 that saw its ETag", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (rounds) => {
        const user = await newUser();
        const created = await createClient(user);
        const seen = Array.from({ length: EDITORS }, () => created.etag);
        const acknowledged: { ifMatch: string; client: ClientJson }[] = [];
        let sequence = 0;
        for (const round of rounds) {
          await Promise.all(
            round.map(async ({ editor, action }) => {
              if (action === "read") {
                seen[editor] = (await read(user, created)).etag;
                return;
              }
              const ifMatch = seen[editor]!;
              const company = `editor ${editor} change ${sequence++}`;
              const response = await user.call("PATCH", path(created), { body: { company }, headers: { "If-Match": ifMatch } });
              if (response.status === 412) return void (await response.text());
              expect(response.status).toBe(200);
              const client = await clientOf(response);
              expect(client.company).toBe(company);
              acknowledged.push({ ifMatch, client });
              seen[editor] = client.etag;
            }),
          );
        }
        const chain = acknowledged.sort((a, b) => Number(a.client.etag.slice(1, -1)) - Number(b.client.etag.slice(1, -1)));
        chain.forEach(({ ifMatch }, i) => expect(ifMatch).toBe(i === 0 ? created.etag : chain[i - 1]!.client.etag));
        expect(await read(user, created)).toEqual(chain.at(-1)?.client ?? created);
      }),
      { numRuns: 25 },
    );
  });
});
