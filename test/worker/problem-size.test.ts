// A problem body stays small whatever the request: at most 20 field errors (the rest counted in
// `detail`), and no caller's key quoted beyond 100 characters.
import { describe, expect, it } from "vitest";
import { createClient, expectProblem, newUser } from "../support/api";

const SMALL_BYTES = 4 * 1024;
const byteLength = (text: string) => new TextEncoder().encode(text).length;

/** `count` distinct keys of two characters, none a field of the API ("id"): about the most keys a 16 KiB body holds. */
function shortKeys(count: number): string[] {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const keys = Array.from(alphabet, (first) => Array.from(alphabet, (second) => first + second)).flat();
  return keys.filter((key) => key !== "id").slice(0, count);
}

async function expectSmallProblem(response: Response) {
  const text = await response.clone().text();
  expect(byteLength(text)).toBeLessThan(SMALL_BYTES);
  return expectProblem(response, 400);
}

describe("bounded problem bodies", () => {
  it("a 16 KB body with 2,203 unknown keys answers a small problem listing 20 and counting the rest", async () => {
    const user = await newUser();
    const body = JSON.stringify({ name: "A", ...Object.fromEntries(shortKeys(2203).map((key) => [key, 0])) });
    expect(byteLength(body)).toBeGreaterThan(15 * 1024);
    expect(byteLength(body)).toBeLessThanOrEqual(16 * 1024);
    const problem = await expectSmallProblem(await user.call("POST", "/api/clients", { body }));
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors?.[0]).toEqual({ pointer: "/aa", detail: '"aa" is not an accepted field' });
    expect(problem.detail).toMatch(/^The request body has invalid fields: \/aa, \/ab, .*, \/at and 2183 more\.$/);
  });

  it("the same on PATCH", async () => {
    const user = await newUser();
    const { id } = await createClient(user);
    const body = JSON.stringify(Object.fromEntries(shortKeys(2203).map((key) => [key, 0])));
    const problem = await expectSmallProblem(await user.call("PATCH", `/api/clients/${id}`, { body }));
    expect(problem.errors).toHaveLength(20);
    expect(problem.detail).toMatch(/ and 2183 more\.$/);
  });

  it("a 20 KB query string answers a small problem", async () => {
    const user = await newUser();
    const query = shortKeys(2500).map((key) => `${key}=1`).join("&");
    expect(query.length).toBeGreaterThan(12 * 1024);
    const padded = `${query}&${"z".repeat(20 * 1024 - query.length)}=1`;
    const problem = await expectSmallProblem(await user.call("GET", `/api/clients?${padded}`));
    expect(problem.errors).toHaveLength(20);
    expect(problem.detail).toMatch(/^The query string has invalid fields: .* and 2481 more\.$/);
  });

  it("quotes at most 100 characters of a key, cutting at a character", async () => {
    const user = await newUser();
    const longKey = "😀".repeat(99) + "k".repeat(15_000);
    const response = await user.call("POST", "/api/clients", { body: { name: "A", [longKey]: 1 } });
    const problem = await expectSmallProblem(response);
    const quotedKey = `${"😀".repeat(99)}k…`;
    expect(problem.errors).toEqual([{ pointer: `/${"😀".repeat(99)}…`, detail: `"${quotedKey}" is not an accepted field` }]);
    expect(problem.detail).toBe(`The request body has invalid fields: /${"😀".repeat(99)}….`);
  });

  it("quotes control characters and lone surrogates as U+FFFD", async () => {
    const user = await newUser();
    const body = JSON.stringify({ name: "A", "a\u0000b\u001bc\ud800d\u0085": 1 });
    const problem = await expectSmallProblem(await user.call("POST", "/api/clients", { body }));
    expect(problem.errors).toEqual([{ pointer: "/a\ufffdb\ufffdc\ufffdd\ufffd", detail: '"a\ufffdb\ufffdc\ufffdd\ufffd" is not an accepted field' }]);
  });

  it("a query key of 20 KB is quoted short", async () => {
    const user = await newUser();
    const problem = await expectSmallProblem(await user.call("GET", `/api/clients?${"q".repeat(20 * 1024)}=1`));
    expect(problem.errors).toEqual([{ pointer: `/${"q".repeat(99)}…`, detail: `"${"q".repeat(100)}…" is not an accepted field` }]);
  });
});
