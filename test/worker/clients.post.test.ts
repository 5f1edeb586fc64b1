import { describe, expect, it } from "vitest";
import { type ClientJson, createClient, expectProblem, listAll, newUser, randomId } from "../support/api";

type Created = { client: ClientJson };

describe("POST /api/clients", () => {
  it("creates a client: 201, Location, every field, null for absent ones", async () => {
    const user = await newUser();
    const id = randomId("c");
    const response = await user.call("POST", "/api/clients", {
      body: { id, name: "  Grace Hopper  ", email: "grace@example.com", phone: "+1 555 0100" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("Location")).toBe(`/api/clients/${id}`);
    const { client } = (await response.json()) as Created;
    expect(client).toEqual({
      id,
      name: "Grace Hopper",
      email: "grace@example.com",
      phone: "+1 555 0100",
      company: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: client.createdAt,
      etag: expect.stringMatching(/^"\d+"$/),
    });
    expect(response.headers.get("ETag")).toBe(client.etag);
  });

  it("makes a URL-safe id when none is given", async () => {
    const user = await newUser();
    const client = await createClient(user);
    expect(client.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect((await user.call("GET", `/api/clients/${client.id}`)).status).toBe(200);
  });

  it("answers a repeated create with 200 and the stored row, never overwriting it", async () => {
    const user = await newUser();
    const first = await createClient(user, { id: randomId("c"), name: "First", email: "first@example.com" });
    const again = await user.call("POST", "/api/clients", { body: { id: first.id, name: "Second", company: "X" } });
    expect(again.status).toBe(200);
    expect(again.headers.get("Location")).toBeNull();
    expect(((await again.json()) as Created).client).toEqual(first);
  });

  it("chat opening: 3 simultaneous creates of one id give one 201, two 200, one client", async () => {
    const user = await newUser();
    const id = randomId("c");
    const responses = await Promise.all(
      [1, 2, 3].map(() => user.call("POST", "/api/clients", { body: { id, name: "Chat visitor" } })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const clients = await Promise.all(responses.map(async (r) => ((await r.json()) as Created).client));
    for (const client of clients) expect(client).toEqual(clients[0]);
    expect(await listAll(user)).toEqual([clients[0]]);
  });

  it("100 simultaneous creates of one id: one 201, ninety-nine 200, one row with the first writer's fields", async () => {
    const user = await newUser();
    const id = randomId("c");
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        user.call("POST", "/api/clients", { body: { id, name: `Writer ${n}`, company: `Company ${n}` } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
    const clients = await Promise.all(responses.map(async (r) => ((await r.json()) as Created).client));
    const winner = clients[statuses.indexOf(201)]!;
    const writer = winner.name.slice("Writer ".length);
    expect(winner.company).toBe(`Company ${writer}`);
    for (const client of clients) expect(client).toEqual(winner);
    expect(await listAll(user)).toEqual([winner]);
  });

  it("50 simultaneous creates of distinct ids: fifty 201", async () => {
    const user = await newUser();
    const ids = Array.from({ length: 50 }, () => randomId("c"));
    const responses = await Promise.all(ids.map((id) => user.call("POST", "/api/clients", { body: { id, name: id } })));
    expect(responses.map((r) => r.status)).toEqual(ids.map(() => 201));
    expect((await listAll(user)).map((c) => c.id).sort()).toEqual([...ids].sort());
  });

  it("409 naming the email when another client of the user has it (case-insensitively), and writes nothing", async () => {
    const user = await newUser();
    const existing = await createClient(user, { email: "Taken@Example.com" });
    const response = await user.call("POST", "/api/clients", { body: { id: randomId("c"), name: "B", email: "taken@example.COM" } });
    const problem = await expectProblem(response, 409);
    expect(problem.errors).toEqual([{ pointer: "/email", detail: expect.any(String) }]);
    expect(await listAll(user)).toEqual([existing]);
  });

  it("allows the same email for another user, and many clients without email", async () => {
    const [alice, bob] = await Promise.all([newUser(), newUser()]);
    await createClient(alice, { email: "shared@example.com" });
    await createClient(bob, { email: "shared@example.com" });
    await createClient(alice, { email: null });
    await createClient(alice);
    expect(await listAll(alice)).toHaveLength(3);
  });

  it("keeps one id of two users apart: two clients", async () => {
    const [alice, bob] = await Promise.all([newUser(), newUser()]);
    const id = randomId("c");
    const a = await createClient(alice, { id, name: "Alice's" });
    const b = await createClient(bob, { id, name: "Bob's" });
    expect([a.name, b.name]).toEqual(["Alice's", "Bob's"]);
    expect(((await (await alice.call("GET", `/api/clients/${id}`)).json()) as Created).client.name).toBe("Alice's");
    expect(((await (await bob.call("GET", `/api/clients/${id}`)).json()) as Created).client.name).toBe("Bob's");
  });

  describe("input", () => {
    const invalidBodies: [string, unknown, string][] = [
      ["no name", {}, "/name"],
      ["a blank name", { name: "   " }, "/name"],
      ...["\u200b", " \u200b\u2060 ", "\u3164", "\u00ad", "\ufeff", "\u2800"].map(
        (name): [string, unknown, string] => [`a name of only ${JSON.stringify(name)}, which shows nothing`, { name }, "/name"],
      ),
      ["a name over 200 characters", { name: "n".repeat(201) }, "/name"],
      ["a name that is not a string", { name: 42 }, "/name"],
      ["an empty id", { name: "A", id: "" }, "/id"],
      ["an id over 64 characters", { name: "A", id: "i".repeat(65) }, "/id"],
      ["an id with a space", { name: "A", id: "a b" }, "/id"],
      ["an id with a slash", { name: "A", id: "a/b" }, "/id"],
      ["a null id", { name: "A", id: null }, "/id"],
      ["an invalid email", { name: "A", email: "not-an-email" }, "/email"],
      ["an email over 254 characters", { name: "A", email: `${"e".repeat(64)}@${"d".repeat(190)}.com` }, "/email"],
      ["a phone over 40 characters", { name: "A", phone: "1".repeat(41) }, "/phone"],
      ["a company over 200 characters", { name: "A", company: "c".repeat(201) }, "/company"],
      ["a NUL character, which PostgreSQL text cannot hold", { name: "a\u0000b" }, "/name"],
      ["an unpaired surrogate, which has no UTF-8 form", { name: "A", phone: "\ud800" }, "/phone"],
      ["a userId", { name: "A", userId: "someone-else" }, "/userId"],
      ["an unknown key", { name: "A", createdAt: "2020-01-01T00:00:00Z" }, "/createdAt"],
      ["an array", [{ name: "A" }], ""],
      ["a string", "\"A\"", ""],
      ["null", "null", ""],
    ];

    it.each(invalidBodies)("400 for %s, naming the field, and writes nothing", async (_, body, pointer) => {
      const user = await newUser();
      const problem = await expectProblem(await user.call("POST", "/api/clients", { body }), 400);
      expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
      expect(await listAll(user)).toEqual([]);
    });

    // zod/mini has no messages of its own: this pins the English ones callers read.
    it("says in words what is wrong with each field", async () => {
      const user = await newUser();
      const body = { name: 42, email: "not-an-email", phone: "1".repeat(41) };
      const problem = await expectProblem(await user.call("POST", "/api/clients", { body }), 400);
      expect(problem.errors).toEqual([
        { pointer: "/name", detail: "Invalid input: expected string, received number" },
        { pointer: "/email", detail: "Invalid email address" },
        { pointer: "/phone", detail: "Too big: expected string to have <=40 characters" },
      ]);
    });

    it("accepts every field at its longest: 64-character id, 200-character name after trimming, 254-character email", async () => {
      const user = await newUser();
      const longest = {
        id: `${randomId("c")}${"i".repeat(64)}`.slice(0, 64),
        name: `  ${"n".repeat(200)}  `,
        email: `${"e".repeat(64)}@${"d".repeat(63)}.${"d".repeat(63)}.${"d".repeat(57)}.com`,
        phone: "1".repeat(40),
        company: "c".repeat(200),
      };
      expect(longest.email).toHaveLength(254);
      const response = await user.call("POST", "/api/clients", { body: longest });
      expect(response.status).toBe(201);
      const { client } = (await response.json()) as Created;
      expect(client).toMatchObject({ ...longest, name: "n".repeat(200) });
      expect(await listAll(user)).toEqual([client]);
    });

    it("names every unknown key", async () => {
      const user = await newUser();
      const response = await user.call("POST", "/api/clients", { body: { name: "A", userId: "x", role: "admin" } });
      const problem = await expectProblem(response, 400);
      expect(problem.errors?.map((e) => e.pointer)).toEqual(["/userId", "/role"]);
      expect(problem.detail).toContain("/userId");
    });

    it("400 for malformed JSON", async () => {
      const user = await newUser();
      for (const body of ['{"name": "A"', "", "{name: 'A'}"]) {
        await expectProblem(await user.call("POST", "/api/clients", { body }), 400);
      }
      expect(await listAll(user)).toEqual([]);
    });

    it("415 for a body that is not application/json", async () => {
      const user = await newUser();
      const body = JSON.stringify({ name: "A" });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
        await expectProblem(await user.call("POST", "/api/clients", { body, headers: { "Content-Type": type } }), 415);
      }
      await expectProblem(await user.call("POST", "/api/clients"), 415);
      expect(await listAll(user)).toEqual([]);
    });

    it("accepts application/json with a charset", async () => {
      const user = await newUser();
      const response = await user.call("POST", "/api/clients", {
        body: { name: "A" },
        headers: { "Content-Type": "Application/JSON; charset=utf-8" },
      });
      expect(response.status).toBe(201);
    });

    it("413 for a body over 16 KiB, with or without Content-Length", async () => {
      const user = await newUser();
      const body = JSON.stringify({ name: "A", company: "c".repeat(16 * 1024) });
      await expectProblem(await user.call("POST", "/api/clients", { body }), 413);
      const stream = new Blob([body]).stream();
      const chunked = await user.call("POST", "/api/clients", { body: stream });
      await expectProblem(chunked, 413);
      expect(await listAll(user)).toEqual([]);
    });
  });
});
