import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("GET / redirects to the docs page", async () => {
  // Not followed: the answer itself is what a browser gets.
  const response = await exports.default.fetch(new Request("https://api.test/", { redirect: "manual" }));
  expect(response.status).toBe(302);
  expect(response.headers.get("Location")).toBe("/docs");
});
