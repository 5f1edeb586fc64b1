import { afterEach, describe, expect, it, vi } from "vitest";
import { call, expectProblem, newUser, randomId } from "../support/api";

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
  const settings = { CORS_ORIGINS: "https://app.test, https://admin.test" };
  const preflight = (origin: string) =>
    call("OPTIONS", "/api/clients", {
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
      settings,
    });

  it("answers a preflight from an allowed origin, before authentication", async () => {
    const response = await preflight("https://admin.test");
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.test");
    expect(response.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
  });

  it("grants nothing to other origins, nor to any origin by default", async () => {
    expect((await preflight("https://evil.test")).headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect((await call("OPTIONS", "/api/clients", { headers: { Origin: "https://app.test" } })).headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("exposes Location and X-Request-Id to an allowed origin", async () => {
    const response = await call("GET", "/health", { headers: { Origin: "https://app.test" }, settings });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.test");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
  });

  it("states its headers on answers that are not preflights, errors and other origins included", async () => {
    for (const [origin, allowed] of [["https://app.test", "https://app.test"], ["https://evil.test", null]]) {
      const response = await call("GET", "/api/clients", { headers: { Origin: origin! }, settings });
      expect(response.status).toBe(401);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(allowed);
      expect(response.headers.get("Access-Control-Expose-Headers")).toBe("Location,Retry-After,X-Request-Id,ETag,RateLimit-Policy");
      expect(response.headers.get("Vary")).toBe("Origin");
      expect(response.headers.get("X-Request-Id")).toBeTruthy();
      expect(response.headers.get("RateLimit-Policy")).toBeTruthy();
    }
  });
});

describe("request log", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes one JSON line per request with its outcome, a warning for a resolved race, and no token, email or phone", async () => {
    const lines: unknown[][] = [];
    for (const level of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args));
    }
    const user = await newUser();
    const id = randomId("c");
    const secrets = { email: `${randomId("mail")}@example.com`, phone: `+1 555 ${Date.now()}` };
    const created = await user.call("POST", "/api/clients", { body: { id, name: "Logged", ...secrets } });
    const existing = await user.call("POST", "/api/clients", { body: { id, name: "Logged", ...secrets } });
    const conflict = await user.call("POST", "/api/clients", { body: { name: "Other", ...secrets } });
    expect([created.status, existing.status, conflict.status]).toEqual([201, 200, 409]);

    const entries = lines.map((args) => {
      expect(args).toHaveLength(1);
      const text = args[0] as string;
      for (const secret of [user.token, secrets.email, secrets.phone]) expect(text).not.toContain(secret);
      return JSON.parse(text) as Record<string, unknown>;
    });
    const requests = entries.filter((entry) => entry.message === "request");
    expect(requests.map(({ method, route, status, outcome }) => ({ method, route, status, outcome }))).toEqual([
      { method: "POST", route: "/api/clients", status: 201, outcome: "created" },
      { method: "POST", route: "/api/clients", status: 200, outcome: "existing" },
      { method: "POST", route: "/api/clients", status: 409, outcome: "conflict" },
    ]);
    for (const request of requests) {
      expect(request).toMatchObject({ level: "info", durationMs: expect.any(Number), requestId: expect.any(String) });
    }
    const warnings = entries.filter((entry) => entry.level === "warn");
    expect(warnings).toEqual([expect.objectContaining({ requestId: requests[1]!.requestId, clientId: id })]);
  });
});
