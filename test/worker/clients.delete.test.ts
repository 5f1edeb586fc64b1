import { describe, expect, it } from "vitest";
import { createClient, expectProblem, newUser, randomId } from "../support/api";

describe("DELETE /api/clients/:id", () => {
  it("204, then the client is gone and its id can be created again", async () => {
    const user = await newUser();
    const client = await createClient(user, { id: randomId("c") });
    const response = await user.call("DELETE", `/api/clients/${client.id}`);
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    await expectProblem(await user.call("GET", `/api/clients/${client.id}`), 404);
    await expectProblem(await user.call("DELETE", `/api/clients/${client.id}`), 404);
    await createClient(user, { id: client.id });
  });

  it("404 for another user's client, which stays", async () => {
    const [owner, other] = await Promise.all([newUser(), newUser()]);
    const client = await createClient(owner);
    await expectProblem(await other.call("DELETE", `/api/clients/${client.id}`), 404);
    expect(await (await owner.call("GET", `/api/clients/${client.id}`)).json()).toEqual({ client });
  });

  it("400 for an id that cannot exist", async () => {
    const user = await newUser();
    await expectProblem(await user.call("DELETE", "/api/clients/a%20b"), 400);
  });
});
