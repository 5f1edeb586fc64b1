import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, expectProblem, newUser } from "./helpers";

describe("every response", () => {
  it("carries a generated X-Request-Id, or echoes a well-formed one", async () => {
    const generated = await call("GET", "/health");
    expect(generated.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await call("GET", "/health", { headers: { "X-Request-Id": "trace-123" } });
    expect(echoed.headers.get("X-Request-Id")).toBe("trace-123");
  });

  it("carries secure headers", async () => {
    const response = await call("GET", "/health");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Strict-Transport-Security")).toContain("max-age=");
    expect(response.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
  });

  it("answers an unknown route or method with a 404 problem", async () => {
    await expectProblem(await call("GET", "/nope"), 404);
    const user = await newUser();
    await expectProblem(await user.call("PUT", "/api/clients/abc", { body: { name: "A" } }), 404);
  });
});

describe("CORS", () => {
  const withOrigins = (request: Request) =>
    worker.fetch(request, { ...env, CORS_ORIGINS: "https://app.test, https://admin.test" }, createExecutionContext());
  const preflight = (origin: string) =>
    new Request("https://api.test/api/clients", {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
    });

  it("answers a preflight from an allowed origin, before authentication", async () => {
    const response = await withOrigins(preflight("https://admin.test"));
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.test");
    expect(response.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
  });

  it("grants nothing to other origins, nor to any origin by default", async () => {
    expect((await withOrigins(preflight("https://evil.test"))).headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect((await call("OPTIONS", "/api/clients", { headers: { Origin: "https://app.test" } })).headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("exposes Location and X-Request-Id to an allowed origin", async () => {
    const response = await withOrigins(new Request("https://api.test/health", { headers: { Origin: "https://app.test" } }));
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.test");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
  });
});
