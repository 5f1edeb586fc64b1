import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { type ClientJson, createClient, expectProblem, newUser, randomId, testDatabase } from "../support/api";

describe("GET /api/clients/:id", () => {
  it("returns the caller's client", async () => {
    const user = await newUser();
    const client = await createClient(user, { id: randomId("c"), email: "a@example.com", company: "ACME" });
    const response = await user.call("GET", `/api/clients/${client.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ client });
  });

  it("404 for an id the caller does not have", async () => {
    const user = await newUser();
    const problem = await expectProblem(await user.call("GET", `/api/clients/${randomId("missing")}`), 404);
    expect(problem.type).toBe("urn:clients-api:problem:not-found");
  });

  it("404 for another user's client, indistinguishable from a missing one", async () => {
    const [owner, other] = await Promise.all([newUser(), newUser()]);
    const client = await createClient(owner, { id: randomId("c") });
    const foreign = await expectProblem(await other.call("GET", `/api/clients/${client.id}`), 404);
    const missing = await expectProblem(await other.call("GET", `/api/clients/${randomId("c")}`), 404);
    expect(foreign.detail).toBe(missing.detail);
  });

  it("400 naming the id when it cannot be a client id", async () => {
    const user = await newUser();
    const problem = await expectProblem(await user.call("GET", `/api/clients/${"x".repeat(65)}`), 400);
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["/id"]);
  });
});

type Page = { clients: ClientJson[]; nextCursor: string | null };

describe("GET /api/clients", () => {
  it("lists only the caller's clients, newest first, in stable pages", async () => {
    const [user, other] = await Promise.all([newUser(), newUser()]);
    await createClient(other);
    const created: ClientJson[] = [];
    // Sequential creates: each is newer than the one before (ties fall back to the id).
    for (let n = 0; n < 5; n++) created.push(await createClient(user, { id: randomId(`c${n}`) }));
    const newestFirst = [...created].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));

    const seen: ClientJson[] = [];
    let cursor: string | null = null;
    do {
      const response = await user.call("GET", `/api/clients?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as Page;
      expect(page.clients.length).toBeLessThanOrEqual(2);
      seen.push(...page.clients);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(newestFirst);
  });

  it("keeps its place when clients are created between pages", async () => {
    const user = await newUser();
    const older = [await createClient(user), await createClient(user), await createClient(user)];
    const first = (await (await user.call("GET", "/api/clients?limit=1")).json()) as Page;
    await createClient(user);
    const rest = (await (await user.call("GET", `/api/clients?limit=10&cursor=${first.nextCursor}`)).json()) as Page;
    expect([...first.clients, ...rest.clients].map((c) => c.id).sort()).toEqual(older.map((c) => c.id).sort());
    expect(rest.nextCursor).toBeNull();
  });

  it("answers an empty list with a null cursor", async () => {
    const user = await newUser();
    expect(await (await user.call("GET", "/api/clients")).json()).toEqual({ clients: [], nextCursor: null });
  });

  it("gives 50 clients a page by default, ordering clients created at the same moment by id", async () => {
    const user = await newUser();
    // One statement, so all 51 rows share created_at (now()): the cursor must page through the tie by id.
    const db = testDatabase();
    const ids = Array.from({ length: 51 }, () => randomId("c"));
    await db.insert(clients).values(ids.map((id) => ({ userId: user.id, id, name: id })));
    const first = (await (await user.call("GET", "/api/clients")).json()) as Page;
    expect(first.clients).toHaveLength(50);
    expect(new Set(first.clients.map((c) => c.createdAt)).size).toBe(1);
    const rest = (await (await user.call("GET", `/api/clients?cursor=${first.nextCursor}`)).json()) as Page;
    expect(rest.nextCursor).toBeNull();
    const newestFirst = [...ids].sort().reverse();
    expect([...first.clients, ...rest.clients].map((c) => c.id)).toEqual(newestFirst);
  });

  it.each([
    ["limit=0", "/limit"],
    ["limit=101", "/limit"],
    ["limit=abc", "/limit"],
    ["limit=1.5", "/limit"],
    // Other spellings of a number that Number() would read: only decimal digits as sent are a limit.
    ...["0x10", "0b11", "0o7", "%2B5", "%207%20", "1e1", "5.0", "007", ""].map((limit) => [`limit=${limit}`, "/limit"]),
    ["cursor=not-a-cursor", "/cursor"],
    [`cursor=${btoa(JSON.stringify(["yesterday", "a"]))}`, "/cursor"],
    ["userId=someone", "/userId"],
  ])("400 for ?%s, naming the parameter", async (query, pointer) => {
    const user = await newUser();
    const problem = await expectProblem(await user.call("GET", `/api/clients?${query}`), 400);
    expect(problem.errors?.map((e) => e.pointer)).toEqual([pointer]);
  });

  it("a cursor is refused for another user", async () => {
    const [owner, other] = await Promise.all([newUser(), newUser()]);
    await createClient(owner);
    await createClient(owner);
    const page = (await (await owner.call("GET", "/api/clients?limit=1")).json()) as Page;
    const problem = await expectProblem(await other.call("GET", `/api/clients?cursor=${page.nextCursor}`), 400);
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["/cursor"]);
  });
});
