// /live in a real browser, two tabs of one user: what tab A creates, changes and deletes, tab B shows as it
// happens, without a reload, through the live socket (GET /api/clients/live). Under the page's
// Content-Security-Policy (public/_headers) and with no error in either tab. Runs with `npm run test:browser`.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { readDevVars } from "../../local/tooling/dev-checks";
import { devVarsFile, signDevToken } from "../../local/tooling/dev-token";
import { LIVE_PROTOCOL } from "../../src/live/protocol";
import { chromiumForThisFile, pageErrors } from "../support/node/chromium";
import { repo } from "../support/node/checkout";

const baseUrl = inject("devUrl");
const browser = chromiumForThisFile();

/** A token for a user of the test's own, signed as `npm run dev`'s worker expects (.dev.vars). */
const newUsersToken = () => signDevToken(`live-${randomUUID()}`, readDevVars(devVarsFile).JWT_SECRET);

/** expect.poll with room for a loaded machine (its default gives up after a second). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

/** A tab of the live page, connected with `token`, and the errors it meets (CSP violations are console errors). */
async function openTab(open: () => Promise<Page>, token: string) {
  const page = await open();
  const errors = pageErrors(page);
  // Counted from here on: a reload would make it 2.
  const tab = { page, errors, loads: 0, headers: {} as Record<string, string> };
  page.on("load", () => tab.loads++);
  // The address the README gives; the assets redirect it to /live.
  tab.headers = (await page.goto(`${baseUrl}/live.html#token=${token}`))?.headers() ?? {};
  await eventually(() => page.locator("#status").textContent()).toBe("live");
  return tab;
}

const clientsShown = (page: Page) => page.locator("#clients li").allTextContents();
const changesShown = (page: Page) => page.locator("#changes li").allTextContents();

/** A request from inside tab `page`, as the page's own script would send it. */
const send = (page: Page, token: string, method: string, path: string, body?: unknown) =>
  page.evaluate(
    async ({ token, method, path, body }) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return (await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })).status;
    },
    { token, method, path, body },
  );

describe("GET /live, two tabs of one user", () => {
  it("shows in tab B what tab A creates, updates and deletes, without a reload", async () => {
    const token = await newUsersToken();
    const context = await browser().newContext({ serviceWorkers: "block" });
    const a = await openTab(() => context.newPage(), token);
    const b = await openTab(() => context.newPage(), token);

    // Served under its own policy; the token is out of the address bar.
    expect(a.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(a.page.url()).toBe(`${baseUrl}/live`);
    expect(await clientsShown(b.page)).toEqual([]);

    await a.page.fill("#create input[name=id]", "ada");
    await a.page.fill("#create input[name=name]", "Ada Lovelace");
    await a.page.click("#create button");
    await eventually(() => a.page.locator("#created").textContent()).toBe("201 Created");
    await eventually(() => clientsShown(b.page)).toEqual(["ada: Ada Lovelace"]);

    expect(await send(a.page, token, "PATCH", "/api/clients/ada", { company: "Analytical Engine" })).toBe(200);
    await eventually(() => clientsShown(b.page)).toEqual(["ada: Ada Lovelace (Analytical Engine)"]);

    expect(await send(a.page, token, "DELETE", "/api/clients/ada")).toBe(204);
    await eventually(() => clientsShown(b.page)).toEqual([]);

    for (const tab of [a, b]) expect(await changesShown(tab.page)).toEqual(["#3 deleted ada", "#2 updated ada", "#1 created ada"]);
    expect(b.loads).toBe(1);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await context.close();
  });

  it("fills a missed message from the change log: the next message's seq shows the gap", async () => {
    const token = await newUsersToken();
    const context = await browser().newContext({ serviceWorkers: "block" });
    let dropped = false;
    // The socket passes through the test, which loses the first message on the way.
    const tab = await openTab(async () => {
      const page = await context.newPage();
      await page.routeWebSocket(/\/api\/clients\/live$/, (socket) => {
        const server = socket.connectToServer();
        server.onMessage((message) => {
          if (dropped) socket.send(message);
          dropped = true;
        });
      });
      return page;
    }, token);

    expect(await send(tab.page, token, "POST", "/api/clients", { id: "grace", name: "Grace Hopper" })).toBe(201);
    await eventually(() => dropped).toBe(true);
    expect(await send(tab.page, token, "PATCH", "/api/clients/grace", { company: "Navy" })).toBe(200);
    await eventually(() => clientsShown(tab.page)).toEqual(["grace: Grace Hopper (Navy)"]);
    expect(await changesShown(tab.page)).toEqual(["#2 updated grace", "#1 created grace"]);
    expect(tab.errors).toEqual([]);
    await context.close();
  });

  it("runs the README's snippet, word for word, offering the server's subprotocol", () => {
    const readme = readFileSync(`${repo}README.md`, "utf8");
    const snippet = /^## Live updates$[\s\S]*?^```js\n([\s\S]*?)^```$/m.exec(readme)?.[1]?.trim().split("\n") ?? [];
    expect(snippet.length).toBeGreaterThan(0);
    const page = readFileSync(`${repo}public/live/follow.js`, "utf8")
      .split("\n")
      .map((line) => line.trim());
    // In order, with the page's own lines (the list, the return) in between.
    const positions = snippet.map((line) => page.indexOf(line.trim()));
    expect(positions).not.toContain(-1);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(snippet.join("\n")).toContain(`["${LIVE_PROTOCOL}", `);
  });
});
