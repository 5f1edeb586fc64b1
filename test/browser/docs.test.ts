// /docs in a real browser: `npm run dev` (the project's globalSetup) serves the page, headless Chromium opens
// it, and the test checks that Swagger UI lists every operation of the document and that no request left the
// machine. A screenshot goes to test-artifacts/ (git-ignored). Runs with `npm run test:browser`.
import { mkdirSync, readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { chromiumForThisFile, pageErrors } from "../support/node/chromium";
import { repo } from "../support/node/checkout";

const artifacts = `${repo}test-artifacts`;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

const committedDocument = readFileSync(`${repo}public/openapi.json`, "utf8");
const document = JSON.parse(committedDocument) as {
  paths: Record<string, Record<string, unknown>>;
};
const documentedOperations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((key) => key !== "parameters")
    .map((method) => `${method.toUpperCase()} ${path}`),
);

const baseUrl = inject("devUrl");
const browser = chromiumForThisFile();

describe("the static assets beside the worker", () => {
  it("serve the committed document at /openapi.json without a token, while /api stays the worker's", async () => {
    const response = await fetch(`${baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe(committedDocument);
    const api = await fetch(`${baseUrl}/api/clients`);
    expect(api.status).toBe(401);
    expect(api.headers.get("Content-Type")).toBe("application/problem+json");
  });
});

describe("GET /docs", () => {
  it("lists every operation of the document, loading nothing from outside the machine", async () => {
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 }, serviceWorkers: "block" });
    const requested: string[] = [];
    const errors = pageErrors(page);
    page.on("request", (request) => requested.push(request.url()));

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator(".opblock").nth(documentedOperations.length - 1).waitFor();
    const listed = await page
      .locator(".opblock-summary")
      .evaluateAll((summaries) =>
        summaries.map(
          (summary) =>
            `${summary.querySelector(".opblock-summary-method")?.textContent} ${summary.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`,
        ),
      );
    expect(listed.sort()).toEqual([...documentedOperations].sort());
    // How to get a token locally, above the reference.
    expect(await page.locator("body > p").innerText()).toContain("npm run --silent token -- <userId>");

    // Open the create operation: its responses, the idempotent 200 and Location included, are shown.
    await page.locator("#operations-clients-createClient .opblock-summary-control").click();
    const createResponses = page.locator("#operations-clients-createClient .responses-table");
    await createResponses.first().waitFor();
    await expect.poll(() => createResponses.first().innerText()).toContain("Location");
    const codes = await page.locator("#operations-clients-createClient .response-col_status").allInnerTexts();
    expect(codes.map((code) => code.trim())).toEqual(expect.arrayContaining(["200", "201", "409", "503"]));

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}/docs.png`, fullPage: true });
    await page.close();

    expect(errors).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    const external = requested.filter((url) => {
      const { protocol, hostname } = new URL(url);
      return protocol !== "data:" && protocol !== "blob:" && !LOOPBACK_HOSTS.has(hostname);
    });
    expect(external).toEqual([]);
    expect(requested).toContain(`${baseUrl}/openapi.json`);
  });
});
