import { describe, expect, it } from "vitest";
import { type ClientJson, createClient, expectProblem, newUser, randomId } from "../support/api";

describe("PATCH /api/clients/:id", () => {
  it("changes only the given fields, clears null ones and moves updatedAt", async () => {
    const user = await newUser();
    const client = await createClient(user, { id: randomId("c"), email: "old@example.com", phone: "1", company: "Old" });
    const response = await user.call("PATCH", `/api/clients/${client.id}`, { body: { name: " New ", company: null } });
    expect(response.status).toBe(200);
    const { client: updated } = (await response.json()) as { client: ClientJson };
    expect(updated).toEqual({ ...client, name: "New", company: null, updatedAt: expect.any(String), etag: expect.any(String) });
    expect(updated.etag).not.toBe(client.etag);
    // A later request's transaction, at millisecond precision: strictly later, or updatedAt did not move.
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(client.updatedAt));
    expect(await (await user.call("GET", `/api/clients/${client.id}`)).json()).toEqual({ client: updated });
  });

  it("404 for a missing id and for another user's client, which stays unchanged", async () => {
    const [owner, other] = await Promise.all([newUser(), newUser()]);
    const client = await createClient(owner);
    await expectProblem(await other.call("PATCH", `/api/clients/${randomId("c")}`, { body: { name: "X" } }), 404);
    await expectProblem(await other.call("PATCH", `/api/clients/${client.id}`, { body: { name: "X" } }), 404);
    expect(await (await owner.call("GET", `/api/clients/${client.id}`)).json()).toEqual({ client });
  });

  it("409 naming the email when another client of the user has it", async () => {
    const user = await newUser();
    await createClient(user, { email: "taken@example.com" });
    const client = await createClient(user, { email: "mine@example.com" });
    const response = await user.call("PATCH", `/api/clients/${client.id}`, { body: { email: "TAKEN@example.com" } });
    const problem = await expectProblem(response, 409);
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["/email"]);
    expect(await (await user.call("GET", `/api/clients/${client.id}`)).json()).toEqual({ client });
  });

  it.each([
    ["no field", {}, ""],
    ["a null name", { name: null }, "/name"],
    ["a blank name", { name: " " }, "/name"],
    ["a name of only a zero-width space", { name: "\u200b" }, "/name"],
    ["an invalid email", { email: "@" }, "/email"],
    ["the id", { id: "other" }, "/id"],
    ["a userId", { userId: "someone-else" }, "/userId"],
  ])("400 for %s, and changes nothing", async (_, body, pointer) => {
    const user = await newUser();
    const client = await createClient(user);
    const problem = await expectProblem(await user.call("PATCH", `/api/clients/${client.id}`, { body }), 400);
    expect(problem.errors?.map((e) => e.pointer)).toEqual([pointer]);
    expect(await (await user.call("GET", `/api/clients/${client.id}`)).json()).toEqual({ client });
  });

  it("415 without a JSON body, 413 over 16 KiB, 400 for malformed JSON", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const path = `/api/clients/${client.id}`;
    await expectProblem(await user.call("PATCH", path, { body: "name=x", headers: { "Content-Type": "text/plain" } }), 415);
    await expectProblem(await user.call("PATCH", path, { body: { company: "c".repeat(17 * 1024) } }), 413);
    await expectProblem(await user.call("PATCH", path, { body: "{" }), 400);
    expect(await (await user.call("GET", path)).json()).toEqual({ client });
  });
});
