import { expect, it } from "vitest";
import { call } from "../support/api";

it("GET / redirects to the docs page", async () => {
  const response = await call("GET", "/");
  expect(response.status).toBe(302);
  expect(response.headers.get("Location")).toBe("/docs");
});
