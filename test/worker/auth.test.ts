import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, inject, it } from "vitest";
import worker from "../../src/index";
import { call, createClient, expectProblem, newUser, randomId, signToken } from "./helpers";

const base64url = (value: string) => btoa(value).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectUnauthorized(response: Response) {
  await expectProblem(response, 401);
  expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
}

describe("authentication on /api", () => {
  const unsigned = (payload: object) =>
    `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(payload))}.`;

  const badAuthorizations: [string, () => Promise<string | undefined>][] = [
    ["no Authorization header", async () => undefined],
    ["an empty bearer", async () => "Bearer "],
    ["another scheme", async () => `Basic ${btoa("user:pass")}`],
    ["a malformed token", async () => "Bearer not.a.jwt"],
    ["a token of two parts", async () => "Bearer abc.def"],
    ["a token signed with another secret", async () => `Bearer ${await sign({ sub: "u" }, "another-secret", "HS256")}`],
    ["an expired token", async () => `Bearer ${await signToken(randomId("user"), { exp: nowSeconds() - 60 })}`],
    ["a token not valid yet", async () => `Bearer ${await signToken(randomId("user"), { nbf: nowSeconds() + 600 })}`],
    ["alg none", async () => `Bearer ${unsigned({ sub: "u", exp: nowSeconds() + 600 })}`],
    ["alg none with the signature of a real token", async () => {
      const [, payload, signature] = (await signToken("u")).split(".");
      return `Bearer ${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.${signature}`;
    }],
    ["a token without sub", async () => `Bearer ${await signToken(undefined)}`],
    ["a token with an empty sub", async () => `Bearer ${await signToken("")}`],
    ["a token with a numeric sub", async () => `Bearer ${await signToken(undefined, { sub: 42 })}`],
    ["an RS256 token while no identity provider is configured", async () => `Bearer ${await providerToken({})}`],
  ];

  it.each(badAuthorizations)("401 with WWW-Authenticate: Bearer for %s", async (_, authorization) => {
    const header = await authorization();
    for (const [method, path] of [["GET", "/api/clients"], ["POST", "/api/clients"], ["GET", `/api/clients/${randomId("c")}`]] as const) {
      const response = await call(method, path, {
        headers: header === undefined ? {} : { Authorization: header },
        ...(method === "POST" && { body: { name: "A" } }),
      });
      await expectUnauthorized(response);
    }
  });

  it("a rejected create writes nothing", async () => {
    const user = await newUser();
    const id = randomId("c");
    const forged = await sign({ sub: user.id }, "another-secret", "HS256");
    await expectUnauthorized(await call("POST", "/api/clients", { token: forged, body: { id, name: "A" } }));
    await expectProblem(await user.call("GET", `/api/clients/${id}`), 404);
  });

  it("the token's sub decides the user, never the body", async () => {
    const [user, other] = await Promise.all([newUser(), newUser()]);
    const id = randomId("c");
    const smuggled = await user.call("POST", "/api/clients", { body: { id, name: "A", userId: other.id } });
    expect((await expectProblem(smuggled, 400)).errors).toEqual([{ pointer: "/userId", detail: '"userId" is not an accepted field' }]);
    await expectProblem(await user.call("GET", `/api/clients/${id}`), 404);
    await expectProblem(await other.call("GET", `/api/clients/${id}`), 404);

    await createClient(user, { id, name: "User's" });
    await expectProblem(await other.call("GET", `/api/clients/${id}`), 404);
    // The same id under the other token is the other user's own client, not a repeat of the first.
    const own = await other.call("POST", "/api/clients", { body: { id, name: "Other's" } });
    expect(own.status).toBe(201);
    expect(await (await user.call("GET", `/api/clients/${id}`)).json()).toMatchObject({ client: { name: "User's" } });
  });
});

// The optional identity provider (JWKS_URL): test/setup serves an RS256 key's JWKS on loopback.
const { jwksUrl, privateKey, keyId } = inject("identityProvider");
const ISSUER = "https://issuer.test/";
const AUDIENCE = "clients-api";

async function providerToken(claims: Record<string, unknown>, kid = keyId) {
  return sign({ exp: nowSeconds() + 600, ...claims }, { ...privateKey, kid, alg: "RS256" }, "RS256");
}

function callWithProvider(token: string, path = "/api/clients") {
  const providerEnv = { ...env, JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
  const request = new Request(`https://api.test${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return worker.fetch(request, providerEnv, createExecutionContext());
}

describe("authentication with an identity provider (JWKS_URL)", () => {
  it("accepts its token with the right issuer and audience", async () => {
    const token = await providerToken({ sub: randomId("user"), iss: ISSUER, aud: AUDIENCE });
    const response = await callWithProvider(token);
    expect(response.status).toBe(200);
  });

  it("still accepts HS256 tokens signed with JWT_SECRET", async () => {
    const response = await callWithProvider(await signToken(randomId("user")));
    expect(response.status).toBe(200);
  });

  it.each([
    ["another issuer", { iss: "https://evil.test/", aud: AUDIENCE }],
    ["no issuer", { aud: AUDIENCE }],
    ["another audience", { iss: ISSUER, aud: "another-api" }],
    ["no audience", { iss: ISSUER }],
    ["an expired token", { iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() - 60 }],
  ])("401 for %s", async (_, claims) => {
    await expectUnauthorized(await callWithProvider(await providerToken({ sub: randomId("user"), ...claims })));
  });

  it("401 for an unknown key id and for a token without sub", async () => {
    await expectUnauthorized(await callWithProvider(await providerToken({ sub: "u", iss: ISSUER, aud: AUDIENCE }, "other-key")));
    await expectUnauthorized(await callWithProvider(await providerToken({ iss: ISSUER, aud: AUDIENCE })));
  });
});
