// Every client field, from its rule (src/http/client-fields.ts): accepted within its rule, stored and read
// back by every route, changed and cleared by PATCH, refused beyond its limit with a 400 naming it. A field
// added to the table and the rules is covered here with no edit (see the README's "Adding a field").
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { clients } from "../../src/db/schema";
import { CLIENT_FIELDS, FIELD_NAMES, isRequired, type FieldRule } from "../../src/http/client-fields";
import { createClient, expectProblem, listAll, newUser, randomId, testDatabase } from "../support/api";

/** Two distinct values the rule accepts, the second at its full length. */
function validValues(name: string, rule: FieldRule): [string, string] {
  if (rule.kind === "email") return [`${randomId("a")}@example.com`, `${"b".repeat(rule.maxLength - 12)}@example.com`];
  return [`${name} one`, "x".repeat(rule.maxLength)];
}

const tooLong = (rule: FieldRule) => (rule.kind === "email" ? `${"a".repeat(rule.maxLength)}@example.com` : "x".repeat(rule.maxLength + 1));

describe.each(FIELD_NAMES.map((name) => [name, CLIENT_FIELDS[name] as FieldRule] as const))("the %s field", (name, rule) => {
  it("is stored as sent by POST, and read back by GET, the list and the table", async () => {
    const user = await newUser();
    const [value] = validValues(name, rule);
    const client = await createClient(user, { id: randomId("c"), [name]: value });
    expect(client[name]).toBe(value);

    const read = await user.call("GET", `/api/clients/${client.id}`);
    expect(((await read.json()) as { client: Record<string, unknown> }).client[name]).toBe(value);
    expect((await listAll(user)).map((listed) => listed[name])).toEqual([value]);
    const [row] = await testDatabase().select().from(clients).where(and(eq(clients.userId, user.id), eq(clients.id, client.id)));
    expect(row?.[name]).toBe(value);
  });

  it("is changed by PATCH up to its full length, and cleared by null when optional", async () => {
    const user = await newUser();
    const [first, longest] = validValues(name, rule);
    const client = await createClient(user, { id: randomId("c"), [name]: first });

    const changed = await user.call("PATCH", `/api/clients/${client.id}`, { body: { [name]: longest } });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { client: Record<string, unknown> }).client[name]).toBe(longest);

    const cleared = await user.call("PATCH", `/api/clients/${client.id}`, { body: { [name]: null } });
    if (isRequired(rule)) await expectProblem(cleared, 400);
    else expect(((await cleared.json()) as { client: Record<string, unknown> }).client[name]).toBeNull();
  });

  it("is refused beyond its limit with a 400 naming it, and nothing is written", async () => {
    const user = await newUser();
    const id = randomId("c");
    const problem = await expectProblem(await user.call("POST", "/api/clients", { body: { name: "A", id, [name]: tooLong(rule) } }), 400);
    expect(problem.errors?.map((error) => error.pointer)).toContain(`/${name}`);
    await expectProblem(await user.call("GET", `/api/clients/${id}`), 404);
  });
});
