// A create racing a delete of the same id is ordered after it or before it: 201 (it made the client
// again) or 200 (the row it collided with, or one another create made after the delete). Never an error.
import { describe, expect, it } from "vitest";
import { clientOf, expectProblem, newUser, randomId } from "../support/api";

const ROUNDS = 40;
const CREATES_PER_ROUND = 3;
const DELETES_PER_ROUND = 2;

describe("POST racing DELETE of one id", () => {
  it("creates answer 201 or 200 with a row of that id, deletes 204 or 404, in any churn", { timeout: 120_000 }, async () => {
    const user = await newUser();
    const id = randomId("churn");
    const statuses: Record<string, number> = {};
    const count = (kind: string, status: number) => void (statuses[`${kind} ${status}`] = (statuses[`${kind} ${status}`] ?? 0) + 1);
    for (let round = 0; round < ROUNDS; round++) {
      const creates = Array.from({ length: CREATES_PER_ROUND }, async (_, writer) => {
        const response = await user.call("POST", "/api/clients", { body: { id, name: `Round ${round} writer ${writer}` } });
        count("POST", response.status);
        expect([200, 201], await response.clone().text()).toContain(response.status);
        expect((await clientOf(response)).id).toBe(id);
      });
      const deletes = Array.from({ length: DELETES_PER_ROUND }, async () => {
        const response = await user.call("DELETE", `/api/clients/${id}`);
        count("DELETE", response.status);
        if (response.status === 404) await expectProblem(response, 404);
        else expect(response.status).toBe(204);
      });
      await Promise.all([...creates, ...deletes]);
    }
    // The churn really raced: both outcomes of each kind happened.
    expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(["DELETE 204", "POST 201"]));
  });
});
