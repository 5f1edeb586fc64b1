import { describe, expect, it } from "vitest";
import { call } from "../support/api";

describe("GET /health", () => {
  it("200 after the database answered, without a token", async () => {
    const response = await call("GET", "/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
  });
  // 503 when the database is down: test/faults/database-down.ts
});
