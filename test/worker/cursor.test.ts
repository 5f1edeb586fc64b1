// The list cursor: anything the API did not issue to the caller answers 400 naming /cursor, never 5xx,
// whatever date it holds; the cursors it issues keep working page after page.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cursorKey, sealCursor } from "../../src/http/cursor";
import { createClient, expectProblem, newUser, type User } from "../support/api";
import { siblingSpellings } from "../support/base64url";

const base64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Dates that PostgreSQL or JavaScript refuse, roll over or read differently, and a few that are fine. */
const ODD_DATES = [
  "0000-01-01T00:00:00.000Z",
  "0000-12-31T23:59:59.999Z",
  "-000001-01-01T00:00:00.000Z",
  "10000-01-01T00:00:00.000Z",
  "+010000-01-01T00:00:00.000Z",
  "+275760-09-13T00:00:00.000Z",
  "+275760-09-13T00:00:00.001Z",
  "-271821-04-20T00:00:00.000Z",
  "2026-02-30T00:00:00.000Z",
  "2026-02-29T00:00:00.000Z",
  "2026-04-31T00:00:00.000Z",
  "2026-13-01T00:00:00.000Z",
  "2026-00-10T00:00:00.000Z",
  "2026-01-01T24:00:00.000Z",
  "2026-01-01T23:59:60.000Z",
  "2026-01-01T00:00:00Z",
  "2026-01-01T00:00:00.000000Z",
  "2026-01-01T00:00:00.000+01:00",
  "2026-01-01",
  "infinity",
  "-infinity",
  "epoch",
  "now",
  "",
];

async function expectCursorRefused(user: User, cursor: string) {
  const response = await user.call("GET", `/api/clients?cursor=${encodeURIComponent(cursor)}`);
  const problem = await expectProblem(response, 400);
  expect(problem.errors).toEqual([{ pointer: "/cursor", detail: "is not a cursor this API issued to you" }]);
}

describe("list cursors", () => {
  it.each(ODD_DATES)("a forged cursor dated %j answers 400 naming /cursor", async (date) => {
    const user = await newUser();
    const position = base64url(JSON.stringify([date, "some-client"]));
    await expectCursorRefused(user, position);
    await expectCursorRefused(user, `${position}.${base64url("x".repeat(32))}`);
  });

  it.each(ODD_DATES)("even a correctly sealed cursor dated %j answers 400 unless the date is one the API writes", async (date) => {
    // Sealed with the worker's own key: only the date can make it fail.
    const user = await newUser();
    const cursor = await sealCursor(await cursorKey(env.JWT_SECRET), user.id, [date, "some-client"]);
    await expectCursorRefused(user, cursor);
  });

  it.each(["0001-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z", "2024-02-29T12:00:00.000Z", "9999-12-31T23:59:59.999Z"])(
    "a sealed cursor at the edge of the valid range, %s, is accepted",
    async (date) => {
      const user = await newUser();
      const client = await createClient(user);
      const cursor = await sealCursor(await cursorKey(env.JWT_SECRET), user.id, [date, "zzz"]);
      const response = await user.call("GET", `/api/clients?cursor=${cursor}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { clients: { id: string }[] };
      expect(page.clients.map((c) => c.id)).toEqual(date > client.createdAt ? [client.id] : []);
    },
  );

  it("refuses any change to an issued cursor, and another user's cursor", async () => {
    const [user, other] = await Promise.all([newUser(), newUser()]);
    await createClient(user);
    await createClient(user);
    const { nextCursor } = (await (await user.call("GET", "/api/clients?limit=1")).json()) as { nextCursor: string };
    const [position, mac] = nextCursor.split(".") as [string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    const variants = [
      position,
      `${position}.`,
      `.${mac}`,
      `${flip(position, 5)}.${mac}`,
      `${position}.${flip(mac, 0)}`,
      `${position}.${mac.slice(0, -1)}`,
      `${position}.${mac}A`,
      `${position}.${mac}.${mac}`,
      `${position}=.${mac}`,
      `${position}.${mac}=`,
      nextCursor.toUpperCase(),
      `${base64url(JSON.stringify(["2999-01-01T00:00:00.000Z", "z"]))}.${mac}`,
    ];
    // The same bytes in another spelling: a last character that differs only in bits no byte uses.
    const respelled = [
      ...siblingSpellings(mac).map((sibling) => `${position}.${sibling}`),
      ...siblingSpellings(position).map((sibling) => `${sibling}.${mac}`),
    ];
    expect(respelled.length).toBeGreaterThanOrEqual(3);
    for (const variant of [...variants, ...respelled]) await expectCursorRefused(user, variant);
    await expectCursorRefused(other, nextCursor);
    // Sealed with a key from another secret: a different deployment's cursor.
    await expectCursorRefused(user, await sealCursor(await cursorKey(`${env.JWT_SECRET}-other`), user.id, ["2026-01-01T00:00:00.000Z", "z"]));
    // The untouched cursor still works.
    expect((await user.call("GET", `/api/clients?limit=1&cursor=${nextCursor}`)).status).toBe(200);
  });

  it("refuses a cursor of 20 KB with a small answer", async () => {
    const user = await newUser();
    const response = await user.call("GET", `/api/clients?cursor=${"A".repeat(20_000)}.${"B".repeat(43)}`);
    const problem = await expectProblem(response, 400);
    // Longer than any cursor the API issues: refused by its length, before any check of its contents.
    expect(problem.errors).toEqual([{ pointer: "/cursor", detail: "Too big: expected string to have <=256 characters" }]);
    expect(JSON.stringify(problem).length).toBeLessThan(1024);
  });
});
