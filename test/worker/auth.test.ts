import { sign } from "hono/jwt";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { call, createClient, expectProblem, newUser, randomId, signToken } from "../support/api";
import { siblingSpellings } from "../support/base64url";

const base64url = (value: string) => btoa(value).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectUnauthorized(response: Response) {
  await expectProblem(response, 401);
  expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
}

/** One request of each route family, with a body where the route takes one. */
const ROUTES = [
  ["POST", "/api/clients"],
  ["GET", "/api/clients"],
  ["GET", "/api/clients/some-client"],
  ["PATCH", "/api/clients/some-client"],
  ["DELETE", "/api/clients/some-client"],
] as const;
const bodyFor = (method: string) => (method === "POST" || method === "PATCH" ? { body: { name: "A" } } : {});

/** Subjects that are not storable text, or not 1 to 255 characters of it. */
const UNSTORABLE_SUBJECTS: [string, string][] = [
  ["a NUL", "victim\u0000"],
  ["only a NUL", "\u0000"],
  ["a lone high surrogate", "victim\ud800"],
  ["a lone low surrogate", "victim\udfff"],
  ["surrogates in the wrong order", "victim\udfff\ud800"],
  ["a control character", "victim\u0007"],
  ["a line feed", "victim\n"],
  ["DEL", "victim\u007f"],
  ["a C1 control character", "victim\u0085"],
  ["256 characters", "u".repeat(256)],
  ["256 astral characters", "😀".repeat(256)],
];

const utf8 = (text: string) => new TextEncoder().encode(text);
const base64urlOfBytes = (bytes: Uint8Array) => base64url(String.fromCharCode(...bytes));

/** An HS256 token whose `sub` is `prefix` followed by raw `bytes`, signed as they are (hono's sign would encode text). */
async function signPayloadBytes(prefix: string, bytes: number[]) {
  const payload = new Uint8Array([...utf8(`{"sub":"${prefix}`), ...bytes, ...utf8(`","exp":${nowSeconds() + 600}}`)]);
  const signingInput = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64urlOfBytes(payload)}`;
  const key = await crypto.subtle.importKey("raw", utf8(env.JWT_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(signingInput)));
  return `${signingInput}.${base64urlOfBytes(signature)}`;
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
    for (const [method, path] of ROUTES) {
      const response = await call(method, path, { headers: header === undefined ? {} : { Authorization: header }, ...bodyFor(method) });
      await expectUnauthorized(response);
    }
  });

  it.each(UNSTORABLE_SUBJECTS)("401 invalid_token on every route for a subject with %s", async (_, sub) => {
    const token = await signToken(sub);
    for (const [method, path] of ROUTES) {
      const response = await call(method, path, { token, ...bodyFor(method) });
      await expectProblem(response, 401);
      expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    }
  });

  // A token that passed is remembered by the isolate: its expiry must still end it.
  it("401 for a token accepted before, once it has expired", async () => {
    const token = await signToken(randomId("user"), { exp: nowSeconds() + 60 });
    expect((await call("GET", "/api/clients", { token })).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      await expectUnauthorized(await call("GET", "/api/clients", { token }));
    } finally {
      vi.useRealTimers();
    }
  });

  it("401 invalid_token on every route for a token without exp", async () => {
    const token = await signToken(randomId("user"), { exp: undefined });
    expect(JSON.parse(atob(token.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")))).not.toHaveProperty("exp");
    for (const [method, path] of ROUTES) {
      const response = await call(method, path, { token, ...bodyFor(method) });
      await expectProblem(response, 401);
      expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    }
  });

  // Each a fresh subject: a UUID (36 characters) and a filler.
  it.each([
    ["255 characters", (uuid: string) => uuid + "u".repeat(219)],
    ["255 astral characters", (uuid: string) => uuid + "😀".repeat(219)],
    ["a UUID", (uuid: string) => uuid],
    ["U+FFFD, valid text", (uuid: string) => `victim\ufffd${uuid}`],
    ["spaces and punctuation", (uuid: string) => `auth0|user ${uuid}@example`],
  ])("accepts a subject of %s on every route", async (_, subject) => {
    const token = await signToken(subject(crypto.randomUUID()));
    const id = randomId("c");
    expect((await call("POST", "/api/clients", { token, body: { id, name: "A" } })).status).toBe(201);
    expect((await call("GET", "/api/clients", { token })).status).toBe(200);
    expect((await call("GET", `/api/clients/${id}`, { token })).status).toBe(200);
    expect((await call("PATCH", `/api/clients/${id}`, { token, body: { name: "B" } })).status).toBe(200);
    expect((await call("DELETE", `/api/clients/${id}`, { token })).status).toBe(204);
  });

  it("subjects that differ by a lone surrogate or U+FFFD are refused or are distinct tenants", async () => {
    const victim = `victim-${crypto.randomUUID()}`;
    const id = randomId("c");
    const victimToken = await signToken(victim);
    expect((await call("POST", "/api/clients", { token: victimToken, body: { id, name: "Victim's" } })).status).toBe(201);
    for (const forged of [`${victim}\ud800`, `${victim}\udfff`]) {
      const token = await signToken(forged);
      await expectProblem(await call("GET", `/api/clients/${id}`, { token }), 401);
      await expectProblem(await call("GET", "/api/clients", { token }), 401);
    }
    // U+FFFD is a character like any other: its own tenant, which sees none of the victim's clients.
    const replacementToken = await signToken(`${victim}\ufffd`);
    await expectProblem(await call("GET", `/api/clients/${id}`, { token: replacementToken }), 404);
    expect(await (await call("GET", "/api/clients", { token: replacementToken })).json()).toEqual({ clients: [], nextCursor: null });
    expect((await call("POST", "/api/clients", { token: replacementToken, body: { id, name: "Other's" } })).status).toBe(201);
    expect(await (await call("GET", `/api/clients/${id}`, { token: victimToken })).json()).toMatchObject({ client: { name: "Victim's" } });
  });

  it("401 for a subject whose signed bytes are not UTF-8, which never reads as another subject", async () => {
    const victim = `R-${crypto.randomUUID()}`;
    const id = randomId("c");
    // U+FFFD twice, sent as UTF-8: a subject like any other, whose client this is.
    const owner = await signToken(`${victim}\ufffd\ufffd`);
    expect((await call("POST", "/api/clients", { token: owner, body: { id, name: "Victim's" } })).status).toBe(201);
    // Bytes that a lenient decoder would read as U+FFFD U+FFFD: invalid, an overlong "/", a UTF-8-encoded surrogate.
    for (const bytes of [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const token = await signPayloadBytes(victim, bytes);
      for (const [method, path] of [...ROUTES, ["GET", `/api/clients/${id}`] as const]) {
        const response = await call(method, path, { token, ...bodyFor(method) });
        await expectProblem(response, 401);
        expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
      }
    }
    expect(await (await call("GET", `/api/clients/${id}`, { token: owner })).json()).toMatchObject({ client: { name: "Victim's" } });
  });

  it("401 for a token spelled another way: same bytes, another last character, or padded", async () => {
    const token = await signToken(randomId("user"));
    expect((await call("GET", "/api/clients", { token })).status).toBe(200);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const respelled = [
      ...siblingSpellings(signature).map((sibling) => `${header}.${payload}.${sibling}`),
      ...siblingSpellings(payload).map((sibling) => `${header}.${sibling}.${signature}`),
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}=.${signature}`,
      `${header}=.${payload}.${signature}`,
    ];
    expect(respelled.length).toBeGreaterThanOrEqual(6);
    for (const variant of respelled) await expectUnauthorized(await call("GET", "/api/clients", { token: variant }));
  });

  it("the challenge never echoes the request URL", async () => {
    const query = "?cursor=secret-looking-value&limit=5";
    const anonymous = await call("GET", `/api/clients${query}`);
    await expectProblem(anonymous, 401);
    expect(anonymous.headers.get("WWW-Authenticate")).toBe("Bearer");
    const refused = [anonymous];
    for (const authorization of ["Bearer not.a.jwt", `Basic ${btoa("user:pass")}`, `Bearer ${await signToken("u", { exp: 1 })}`]) {
      const response = await call("GET", `/api/clients${query}`, { headers: { Authorization: authorization } });
      await expectProblem(response, 401);
      expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
      refused.push(response);
    }
    for (const response of refused) {
      for (const [, value] of response.headers) expect(value).not.toMatch(/api\.test|secret-looking-value/);
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

// The optional identity provider (JWKS_URL): test/support/node/identity-provider.ts serves an RS256 key's JWKS on loopback.
const { origin: providerOrigin, jwksUrl, privateKey, keyId } = inject("identityProvider");
const ISSUER = "https://issuer.test/";
const AUDIENCE = "clients-api";

async function providerToken(claims: Record<string, unknown>, kid = keyId) {
  return sign({ exp: nowSeconds() + 600, ...claims }, { ...privateKey, kid, alg: "RS256" }, "RS256");
}

const provider = { JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };

const callWithProvider = (token: string, path = "/api/clients", method = "GET", settings: Record<string, unknown> = provider) =>
  call(method, path, { token, ...bodyFor(method), settings });

/** The worker's settings with the keys at `path` of the stand-in provider, under a query of their own (a fresh set of kept keys). */
const providerAt = (path: string) => {
  const url = `${providerOrigin}${path}?run=${crypto.randomUUID()}`;
  return { url, settings: { ...provider, JWKS_URL: url } };
};
const fetchesOf = async (url: string) => {
  const { pathname, search } = new URL(url);
  return Number(await (await fetch(`${providerOrigin}/hits?of=${encodeURIComponent(pathname + search)}`)).text());
};

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

  it.each([
    ["answers after the worker's 5 s timeout", "/slow"],
    ["answers HTML", "/not-json"],
    ["answers 500", "/status-500"],
    ["answers {}", "/empty-object"],
    ['answers {"keys":{}}', "/keys-not-array"],
  ])("503 with Retry-After for a valid token when the provider %s", { timeout: 15_000 }, async (_, path) => {
    const keysAt = providerAt(path);
    const token = await providerToken({ sub: randomId("user"), iss: ISSUER, aud: AUDIENCE });
    const response = await callWithProvider(token, "/api/clients", "GET", keysAt.settings);
    await expectProblem(response, 503);
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
  });

  it("fetches the keys once for many tokens, and once at most in an interval for unknown key ids", async () => {
    const keysAt = providerAt("/.well-known/jwks.json");
    const list = (token: string) => callWithProvider(token, "/api/clients", "GET", keysAt.settings);
    const valid = () => providerToken({ sub: randomId("user"), iss: ISSUER, aud: AUDIENCE });
    expect((await list(await valid())).status).toBe(200);
    const unknownKeys = await Promise.all(
      Array.from({ length: 50 }, (_, i) => providerToken({ sub: randomId("user"), iss: ISSUER, aud: AUDIENCE }, `made-up-${i}`)),
    );
    for (const token of unknownKeys) await expectUnauthorized(await list(token));
    for (let i = 0; i < 10; i++) expect((await list(await valid())).status).toBe(200);
    expect(await fetchesOf(keysAt.url)).toBe(1);
  });

  it("fetches the keys again for an unknown key id once the interval has passed", async () => {
    const keysAt = providerAt("/.well-known/jwks.json");
    const list = (token: string) => callWithProvider(token, "/api/clients", "GET", keysAt.settings);
    const unknownKey = () => providerToken({ sub: randomId("user"), iss: ISSUER, aud: AUDIENCE }, "rotated-in");
    await expectUnauthorized(await list(await unknownKey()));
    await expectUnauthorized(await list(await unknownKey()));
    expect(await fetchesOf(keysAt.url)).toBe(1);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 31_000);
      await expectUnauthorized(await list(await unknownKey()));
      await expectUnauthorized(await list(await unknownKey()));
    } finally {
      vi.useRealTimers();
    }
    expect(await fetchesOf(keysAt.url)).toBe(2);
  });

  it("401 invalid_token for its token without exp, on every route", async () => {
    const token = await providerToken({ sub: randomId("user"), iss: ISSUER, aud: AUDIENCE, exp: undefined });
    for (const [method, path] of ROUTES) {
      const response = await callWithProvider(token, path, method);
      await expectProblem(response, 401);
      expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    }
  });

  it.each(UNSTORABLE_SUBJECTS)("401 invalid_token for its token whose subject has %s, on every route", async (_, sub) => {
    const token = await providerToken({ sub, iss: ISSUER, aud: AUDIENCE });
    for (const [method, path] of ROUTES) {
      const response = await callWithProvider(token, path, method);
      await expectProblem(response, 401);
      expect(response.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    }
  });
});
