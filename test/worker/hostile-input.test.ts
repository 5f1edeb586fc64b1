// Property-based hostile input at every endpoint: generated bodies, headers, ids, content types,
// sizes, unicode, SQL and JSON edge cases. Whatever arrives, the worker answers below 500, every
// error is problem+json, and the database ends up holding exactly the rows whose creation answered
// 201 (minus those a 204 deleted), with the fields of the last successful write.
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { cursorKey, sealCursor } from "../../src/http/cursor";
import type { ClientFieldName } from "../../src/db/schema";
import { CLIENT_FIELDS, FIELD_NAMES, isRequired, type FieldRule } from "../../src/http/client-fields";
import { listClientsQuery, updateClientBody } from "../../src/http/request-schemas";
import { type ClientJson, createClient, listAll, newUser, signToken, type User } from "../support/api";

// Enough to hit every generator branch many times while keeping the file to a few seconds.
const NUM_RUNS = 60;
const BODY_LIMIT_BYTES = 16 * 1024;

type Answer = { status: number; headers: Headers; body: unknown };

/**
 * Sends a request exactly as given (no header added) and checks the rules every answer obeys: no
 * 5xx, a request id, errors as problem+json whose `status` is the response's, no SQL or stack trace.
 */
async function send(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await exports.default.fetch(new Request(`https://api.test${path}`, { method, ...init }));
  const text = await response.text();
  expect(response.status, `${method} ${path} -> ${response.status} ${text}`).toBeLessThan(500);
  expect(response.headers.get("X-Request-Id")).toBeTruthy();
  expect(text).not.toMatch(/Failed query|\n\s+at \S|NeonDbError|DrizzleQueryError/);
  if (response.status >= 400) {
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    const problem = JSON.parse(text) as { status: unknown; title: unknown; type: unknown };
    expect(problem).toMatchObject({ status: response.status, title: expect.any(String), type: expect.any(String) });
  }
  const isJson = /json/.test(response.headers.get("Content-Type") ?? "");
  return { status: response.status, headers: response.headers, body: isJson && text ? JSON.parse(text) : text };
}

/** The database through the API: the user's rows must be exactly the expected ones, field for field. */
async function expectStoredExactly(user: User, expected: ReadonlyMap<string, ClientJson>): Promise<void> {
  const stored = await listAll(user);
  expect(stored.map((client) => client.id).sort()).toEqual([...expected.keys()].sort());
  for (const client of stored) expect(client).toEqual(expected.get(client.id));
}

// ---- generators ---------------------------------------------------------------------------------

/** Strings that have broken parsers, SQL builders, encoders and validators before. */
const nastyString = fc.constantFrom(
  "",
  " ",
  "   \t\n ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\ufeff",
  "\u202egnp.exe",
  "🏳️‍🌈👩‍👩‍👧",
  "Ｅｍａｉｌ＠ｅｘａｍｐｌｅ．ｃｏｍ",
  "'; drop table clients; --",
  "' OR '1'='1",
  "\") or 1=1 --",
  "$1",
  "\\",
  "%",
  "_",
  "%00",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "${7*7}",
  "null",
  "undefined",
  "NaN",
  "__proto__",
  "constructor",
  "a".repeat(64),
  "a".repeat(65),
  "x".repeat(255),
  "é".repeat(201),
  "a@b",
  "user@example.com",
  "USER@EXAMPLE.COM",
  "a@b.c".padStart(260, "a"),
  "+1 (555) 010-9999",
);

const anyText = fc.oneof(
  nastyString,
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary-ascii", maxLength: 80 }),
);

const validId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const validName = fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }).filter((name) => name.trim().length > 0);
// Plain addresses mostly; fc.emailAddress() adds the RFC 5322 corners (quoted-looking local parts, IP hosts).
const validEmail = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9.+-]{1,20}@[a-z0-9-]{1,20}\.(?:com|org|co\.uk)$/) },
  { weight: 1, arbitrary: fc.emailAddress().filter((email) => email.length <= 254) },
);

/** A few fixed ids and emails, so generated requests also collide: repeated creates (200) and
 *  email conflicts (409), ids differing only in case included. */
const sharedId = fc.constantFrom("shared-1", "Shared-1", "shared-2");
const sharedEmail = fc.constantFrom("shared@example.com", "SHARED@example.com");

/** Any JSON value, and the JavaScript-only values JSON.stringify turns into null or drops. */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -0, 2 ** 53 + 1, true, false, null, [], {}, [[[[[]]]]]),
);

/** Text that is valid JSON but that a database column may not take as is: NUL, lone surrogates, BOM,
 *  bidi overrides, combining sequences. */
const awkwardText = fc.constantFrom("a\u0000b", "\u0000", "a\ud800b", "\udfff", "\ufeffx", "x\u202ey", "🏳️‍🌈", "e\u0301");

/** Mostly valid, so that requests get past validation often enough to reach the database. */
const fieldValue = (valid: fc.Arbitrary<string | null>) =>
  fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 2, arbitrary: awkwardText },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: anyJson },
  );

/** A value each field's rule accepts: emails that collide, text within its length, `null` where allowed. */
function validValue(rule: FieldRule): fc.Arbitrary<string | null> {
  const text = rule.kind === "email" ? fc.oneof(validEmail, sharedEmail) : isRequired(rule) ? validName : fc.string({ maxLength: rule.maxLength });
  return isRequired(rule) ? text : fc.oneof(text, fc.constant(null));
}
const clientFields = Object.fromEntries(FIELD_NAMES.map((name) => [name, fieldValue(validValue(CLIENT_FIELDS[name]))])) as Record<
  ClientFieldName,
  fc.Arbitrary<unknown>
>;
const requiredFields = FIELD_NAMES.filter((name) => isRequired(CLIENT_FIELDS[name]));
const createFields = fc.record({ id: fieldValue(fc.oneof(validId, sharedId)), ...clientFields }, { requiredKeys: requiredFields });
const updateFields = fc.record(clientFields, { requiredKeys: [] });

/** Keys the API must refuse: another user's id, server-owned fields, prototype tricks, anything. */
const foreignKeys = fc.dictionary(
  fc.oneof(fc.constantFrom("userId", "user_id", "createdAt", "updatedAt", "__proto__", "constructor", "ID", "Name"), anyText),
  anyJson,
  { minKeys: 1, maxKeys: 3 },
);

const malformedJson = fc.constantFrom(
  "",
  "{",
  '{"name":',
  '{"name": "a",}',
  '{"name": "a"}{"name": "b"}',
  "\ufeff{\"name\": \"a\"}",
  "{'name': 'a'}",
  '{"name": NaN}',
  '{"name": "\\ud800"}',
  '{"name": "a\\u0000b"}',
  '{"__proto__": {"admin": true}, "name": "a"}',
  '{"constructor": {"prototype": {}}, "name": "a"}',
  "[".repeat(5000),
  "null",
  "123",
  '"just a string"',
);

/** Bodies over the limit: plain padding, padding in a field, and many small keys. */
const oversized = fc.constantFrom(BODY_LIMIT_BYTES + 1, BODY_LIMIT_BYTES * 4).chain((size) =>
  fc.constantFrom(
    "x".repeat(size),
    JSON.stringify({ name: "x".repeat(size) }),
    JSON.stringify(Object.fromEntries(Array.from({ length: size / 8 }, (_, i) => [`k${i}`, 1]))),
  ),
);

/** Request bodies: client-shaped objects (sometimes with foreign keys), other JSON, text, broken JSON, too much. */
const hostileBody = (fields: fc.Arbitrary<Record<string, unknown>>) =>
  fc.oneof(
    { weight: 10, arbitrary: fields.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.tuple(fields, foreignKeys).map(([value, extra]) => JSON.stringify({ ...extra, ...value })) },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: malformedJson },
    { weight: 1, arbitrary: oversized },
  );
const createBody = hostileBody(createFields);
const updateBody = hostileBody(updateFields);

/** Header-safe text: what fetch accepts as a header value (no NUL, CR or LF). */
const headerText = fc.string({ unit: "binary-ascii", maxLength: 60 }).map((text) => text.replace(/[\0\r\n]/g, "").trim());

const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8", "Application/JSON") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/problem+json",
      "application/jsonx",
      "application/json-patch+json",
      "json",
      ";",
      "application/json; charset=utf-16",
    ),
  },
  { weight: 1, arbitrary: headerText },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Extra headers a client or an attacker might send along. */
const extraHeaders = fc.record(
  {
    "X-Request-Id": fc.oneof(headerText, fc.constant("x".repeat(300)), fc.constant("../../etc")),
    Origin: fc.oneof(headerText, fc.constantFrom("null", "https://evil.example", "http://localhost:8787")),
    Accept: fc.oneof(headerText, fc.constantFrom("*/*", "text/html", "application/xml")),
    "Accept-Encoding": fc.constantFrom("gzip", "br", "identity", "*"),
    "X-Forwarded-For": headerText,
  },
  { requiredKeys: [] },
);

// URLs cannot carry a lone surrogate (encodeURIComponent throws); bodies get them elsewhere.
const withoutLoneSurrogates = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?");

/** Path segments for `:id`: encoded text, traversal and percent-encoding edge cases. Never "" or ".",
 *  which the URL parser turns into the list's own path. */
const pathId = fc.oneof(
  anyText.map((text) => encodeURIComponent(withoutLoneSurrogates(text))).filter((id) => !/^(?:\.|%2e)?$/i.test(id)),
  fc.constantFrom("..", "%", "%00", "%ff", "%E0%A4%A", "a%2Fb", "%2e%2e", "a;b", "a,b", "*", "%20", "a".repeat(5000)),
  validId,
);

const base64OfUtf8 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
const base64urlOfUtf8 = (text: string) => base64OfUtf8(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** Dates as a cursor might carry them: any JavaScript date (years -271821 to 275760), dates PostgreSQL
 *  or JavaScript refuse or roll over, and any text. */
const anyCursorDate = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(
    "0000-01-01T00:00:00.000Z",
    "10000-01-01T00:00:00.000Z",
    "+275760-09-13T00:00:00.000Z",
    "2026-02-30T00:00:00.000Z",
    "2026-02-29T00:00:00.000Z",
    "2026-04-31T23:59:59.999Z",
    "2026-01-01T00:00:00Z",
    "infinity",
  ),
  anyText,
);

/** A date exactly as the API writes one into a cursor: toISOString of a real date in years 1 to 9999. */
function isCursorMoment(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text) || text.startsWith("0000")) return false;
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text;
}

const isControl = (char: string) => {
  const code = char.codePointAt(0)!;
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
};

/** Whether a token subject is 1 to 255 characters of text without control characters
 *  (encodeURIComponent refuses exactly the lone surrogates). */
function isStorableSubject(subject: string): boolean {
  const characters = Array.from(subject);
  try {
    encodeURIComponent(subject);
  } catch {
    return false;
  }
  return !characters.some(isControl) && characters.length >= 1 && characters.length <= 255;
}

/** What a problem may grow to whatever the input: 20 field errors, each key quoted in at most 100
 *  characters of at most 4 UTF-8 bytes (and an ellipsis), three times over (pointer, its detail, detail). */
const MAX_PROBLEM_BYTES = 20 * 3 * (101 * 4 + 40) + 1024;
const MAX_QUOTED_CHARACTERS = 101;

// ---- the status each failed request deserves --------------------------------------------------

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const decodedSegment = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};
const isJsonMediaType = (type: string | undefined) => type?.split(";")[0]?.trim().toLowerCase() === "application/json";

function parsedJson(body: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(body.replace(/^\ufeff/, "")) };
  } catch {
    return undefined;
  }
}

/**
 * The one status a failed GET, PATCH, DELETE, PUT or POST on /api/clients/:id deserves, checked in the
 * order the worker checks: route, path id, media type, size, JSON, fields, existence, and last the
 * only failure left for a valid change of a known client: its email belongs to another client.
 */
function deservedFailure(method: string, id: string, body: string, type: string | undefined, known: ReadonlyMap<string, ClientJson>): number {
  const path = new URL(`https://api.test/api/clients/${id}`).pathname;
  if (!path.startsWith("/api/clients/") || method === "PUT" || method === "POST") return 404;
  if (!CLIENT_ID.test(decodedSegment(id))) return 400;
  if (method !== "PATCH") return known.has(id) ? 0 : 404; // a known client never fails a GET or DELETE
  if (!isJsonMediaType(type)) return 415;
  if (new TextEncoder().encode(body).length > BODY_LIMIT_BYTES) return 413;
  const json = parsedJson(body);
  if (!json || !updateClientBody.safeParse(json.value).success) return 400;
  if (!known.has(id)) return 404;
  const email = (json.value as { email?: unknown }).email;
  const taken = [...known.values()].some((client) => client.id !== id && client.email?.toLowerCase() === String(email).toLowerCase());
  return taken ? 409 : 0;
}

/** The status a bodiless request to any path deserves: CORS answers every preflight, /health is open,
 *  everything else under /api needs a token, and only the API's routes exist. */
function deservedForBareRequest(method: string, target: string, authenticated: boolean): number {
  const path = new URL(`https://api.test${target}`).pathname;
  // Each resource's own root route is mounted at "/", so it answers with and without a trailing slash.
  const root = path.replace(/(?<=.)\/$/, "");
  if (method === "OPTIONS") return 204;
  if (root === "/health") return method === "GET" ? 200 : 404;
  if (path !== "/api" && !path.startsWith("/api/")) return 404;
  if (!authenticated) return 401;
  if (root === "/api/clients") return method === "GET" ? 200 : method === "POST" ? 415 : 404;
  const id = /^\/api\/clients\/([^/]+)$/.exec(path)?.[1];
  if (id === undefined || !["GET", "PATCH", "DELETE"].includes(method)) return 404;
  if (!CLIENT_ID.test(decodedSegment(id))) return 400;
  return method === "PATCH" ? 415 : 404;
}

// ---- properties ---------------------------------------------------------------------------------

const bearer = (user: User) => ({ Authorization: `Bearer ${user.token}` });

/**
 * Asserts that an accepted body reads back exactly: every field it set (a name trimmed), nothing
 * else altered. A value the database cannot hold as sent must be refused, not rewritten. Compared as
 * JSON text, whose escapes keep lone surrogates printable in the failure message.
 */
function expectStoredAsSent(client: ClientJson | undefined, body: string): void {
  // As Request.json() reads it: UTF-8 decoding drops a leading byte order mark.
  const sent = JSON.parse(body.replace(/^\ufeff/, "")) as Record<string, unknown>;
  const fields = (["id", ...FIELD_NAMES] as const).filter((field) => field in sent);
  const trimmed = (field: string) => field !== "id" && "trim" in CLIENT_FIELDS[field as keyof typeof CLIENT_FIELDS];
  const expected = fields.map((field) => (trimmed(field) ? String(sent[field]).trim() : sent[field]));
  expect(JSON.stringify(fields.map((field) => client?.[field]))).toBe(JSON.stringify(expected));
}

describe("hostile input", () => {
  it("POST /api/clients: any body, content type and headers", async () => {
    const user = await newUser();
    const expected = new Map<string, ClientJson>();
    await fc.assert(
      fc.asyncProperty(createBody, contentType, extraHeaders, async (body, type, headers) => {
        const { status, body: answer } = await send("POST", "/api/clients", {
          headers: { ...headers, ...bearer(user), ...(type === undefined ? {} : { "Content-Type": type }) },
          body,
        });
        const client = (answer as { client?: ClientJson }).client;
        if (status === 201) {
          expect(expected.has(client!.id)).toBe(false);
          expectStoredAsSent(client, body);
          expected.set(client!.id, client!);
        } else if (status === 200) {
          expect(client).toEqual(expected.get(client!.id));
        } else {
          expect([400, 409, 413, 415]).toContain(status);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStoredExactly(user, expected);
  });

  it("field values: unicode, SQL and encoding edge cases are stored exactly as sent or refused", async () => {
    const user = await newUser();
    const expected = new Map<string, ClientJson>();
    const field = fc.constantFrom(...FIELD_NAMES);
    const value = fc.oneof(awkwardText, nastyString, fc.string({ unit: "binary", maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(field, value, async (name, text) => {
        const body = JSON.stringify({ name: "Edge case", [name]: text });
        const { status, body: answer } = await send("POST", "/api/clients", {
          headers: { ...bearer(user), "Content-Type": "application/json" },
          body,
        });
        const client = (answer as { client?: ClientJson }).client;
        if (status === 201) {
          expectStoredAsSent(client, body);
          expected.set(client!.id, client!);
        } else {
          expect([400, 409]).toContain(status);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStoredExactly(user, expected);
  });

  it("GET, PATCH and DELETE /api/clients/:id: any id, body and method", async () => {
    const user = await newUser();
    const expected = new Map<string, ClientJson>();
    for (const id of ["alpha", "beta", "gamma", "delta", "epsilon"]) {
      expected.set(id, await createClient(user, { id, name: `Client ${id}`, email: `${id}@example.com` }));
    }
    const knownId = fc.constantFrom(...expected.keys());

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant("GET") },
          { weight: 4, arbitrary: fc.constant("PATCH") },
          { weight: 1, arbitrary: fc.constantFrom("DELETE", "PUT", "POST") },
        ),
        fc.oneof({ weight: 2, arbitrary: knownId }, { weight: 1, arbitrary: pathId }),
        updateBody,
        contentType,
        async (method, id, body, type) => {
          const hasBody = method !== "GET" && method !== "DELETE";
          const { status, body: answer } = await send(method, `/api/clients/${id}`, {
            headers: { ...bearer(user), ...(hasBody && type !== undefined ? { "Content-Type": type } : {}) },
            ...(hasBody ? { body } : {}),
          });
          const known = expected.get(id);
          const client = (answer as { client?: ClientJson }).client;
          if (status === 204) {
            expect(method).toBe("DELETE");
            expect(known).toBeDefined();
            expected.delete(id);
          } else if (status === 200) {
            expect(["GET", "PATCH"]).toContain(method);
            expect(client).toMatchObject({ id, createdAt: known?.createdAt });
            if (method === "GET") expect(client).toEqual(known);
            else expectStoredAsSent(client, body);
            expected.set(id, client!);
          } else {
            expect(status).toBe(deservedFailure(method, id, body, type, expected));
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // Failed PATCHes left their rows as they were; successful ones stored what they returned.
    await expectStoredExactly(user, expected);
  });

  it("GET /api/clients: any limit and cursor", async () => {
    const user = await newUser();
    const ids = [(await createClient(user)).id, (await createClient(user)).id];
    const firstPage = await send("GET", "/api/clients?limit=1", { headers: bearer(user) });
    const realCursor = (firstPage.body as { nextCursor: string }).nextCursor;
    expect(realCursor).toEqual(expect.any(String));

    const limit = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) },
      { weight: 2, arbitrary: fc.oneof(anyText, fc.integer().map(String)) },
      { weight: 1, arbitrary: fc.constantFrom("0", "101", "-1", "1e2", "0x10", "50.5", " 5", "Infinity", "") },
    );
    const cursor = fc.oneof(
      fc.constantFrom(realCursor, realCursor.slice(0, -1), `${realCursor}=`, `${realCursor}A`, realCursor.toUpperCase()),
      anyText,
      fc.base64String({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 2 }).map((value) => base64OfUtf8(JSON.stringify(value))),
      fc
        .constantFrom('["not a date","x"]', '["9999-12-31T23:59:59Z","x"]', '["2026-01-01T00:00:00Z","\'; drop table clients; --"]', "{}", "[]")
        .map(base64OfUtf8),
      // Forged in the API's own shape, with or without something in the place of the MAC.
      fc
        .tuple(anyCursorDate, fc.oneof(validId, anyText), fc.option(fc.base64String({ minLength: 4, maxLength: 44 })))
        .map(([date, id, mac]) => `${base64urlOfUtf8(JSON.stringify([date, id]))}${mac === null ? "" : `.${mac.replace(/=+$/, "")}`}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(limit, { freq: 4 }), fc.option(cursor, { freq: 2 }), async (limitValue, cursorValue) => {
        const params = new URLSearchParams();
        if (limitValue !== null) params.set("limit", withoutLoneSurrogates(limitValue));
        if (cursorValue !== null) params.set("cursor", withoutLoneSurrogates(cursorValue));
        const { status, body } = await send("GET", `/api/clients?${params}`, { headers: bearer(user) });
        if (status === 200) {
          for (const client of (body as { clients: ClientJson[] }).clients) expect(ids).toContain(client.id);
        } else {
          expect(status).toBe(400);
        }
        // Only the cursor the API issued is accepted.
        if (cursorValue !== null && cursorValue !== realCursor) expect(status).toBe(400);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("GET /api/clients: a cursor sealed with the API's own key, holding any date, is accepted only with a date the API writes", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const key = await cursorKey(env.JWT_SECRET);
    await fc.assert(
      fc.asyncProperty(anyCursorDate, fc.oneof({ weight: 4, arbitrary: validId }, { weight: 1, arbitrary: anyText }), async (date, id) => {
        const cursor = await sealCursor(key, user.id, [date, id]);
        const { status, body } = await send("GET", `/api/clients?cursor=${cursor}`, { headers: bearer(user) });
        expect(status).toBe(isCursorMoment(date) && CLIENT_ID.test(id) ? 200 : 400);
        if (status === 200) {
          // The rows after the cursor's (createdAt, id), newest first: the one client, or none.
          const after = date > client.createdAt || (date === client.createdAt && id > client.id);
          expect((body as { clients: ClientJson[] }).clients).toEqual(after ? [client] : []);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("token subjects: storable text of 1 to 255 characters is a tenant of its own, anything else is 401", async () => {
    const subject = fc.oneof(
      anyText,
      fc.string({ unit: "binary", minLength: 200, maxLength: 300 }),
      fc.string({ unit: "grapheme", minLength: 240, maxLength: 260 }),
      fc.constantFrom("victim\ud800", "victim\udfff", "victim\ufffd", "\ud83d\ude00", "\ude00\ud83d", "a\u0000", "\u007f", "\u0085", "\u2028"),
      fc.constantFrom("u".repeat(255), "u".repeat(256), "😀".repeat(255), "😀".repeat(256)),
    );
    // What a new tenant gets from each route: it has no clients yet, and POST gives it one.
    const endpoint = fc.constantFrom(
      ["POST", "/api/clients", 201],
      ["GET", "/api/clients", 200],
      ["GET", "/api/clients/never-created", 404],
      ["PATCH", "/api/clients/never-created", 404],
      ["DELETE", "/api/clients/never-created", 404],
    );
    await fc.assert(
      fc.asyncProperty(subject, endpoint, async (sub, [method, path, deserved]) => {
        const hasBody = method === "POST" || method === "PATCH";
        const { status, headers } = await send(method, path, {
          headers: { Authorization: `Bearer ${await signToken(sub)}`, ...(hasBody ? { "Content-Type": "application/json" } : {}) },
          ...(hasBody ? { body: JSON.stringify({ name: "A" }) } : {}),
        });
        if (isStorableSubject(sub)) {
          expect(status).toBe(deserved);
        } else {
          expect(status).toBe(401);
          expect(headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("oversized error inputs: any number and length of unknown keys answers a bounded problem and changes nothing", async () => {
    const user = await newUser();
    const client = await createClient(user);
    const key = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 90, maxLength: 400 }) },
      { weight: 1, arbitrary: anyText },
    );
    const keys = fc.oneof(fc.uniqueArray(key, { minLength: 1, maxLength: 30 }), fc.uniqueArray(key, { minLength: 500, maxLength: 2500 }));
    const place = fc.constantFrom("POST body", "PATCH body", "query string");
    const ACCEPTED = ["id", ...FIELD_NAMES, ...Object.keys(listClientsQuery.shape)];
    await fc.assert(
      fc.asyncProperty(keys, place, async (names, target) => {
        // A query parameter needs a name; a body's key may be "".
        const unknown = [...new Set(names.map(withoutLoneSurrogates))].filter(
          (name) => !ACCEPTED.includes(name) && (name !== "" || target !== "query string"),
        );
        fc.pre(unknown.length > 0);
        let answer: Answer;
        if (target === "query string") {
          const query = new URLSearchParams(unknown.map((name) => [name, "0"])).toString();
          fc.pre(query.length <= 20 * 1024);
          answer = await send("GET", `/api/clients?${query}`, { headers: bearer(user) });
        } else {
          const fields = Object.fromEntries(unknown.map((name) => [name, 0]));
          const body = JSON.stringify(target === "POST body" ? { name: "A", ...fields } : fields);
          fc.pre(new TextEncoder().encode(body).length <= BODY_LIMIT_BYTES);
          const [method, path] = target === "POST body" ? ["POST", "/api/clients"] : ["PATCH", `/api/clients/${client.id}`];
          answer = await send(method, path, { headers: { ...bearer(user), "Content-Type": "application/json" }, body });
        }
        expect(answer.status).toBe(400);
        const problem = answer.body as { detail: string; errors: { pointer: string }[] };
        expect(new TextEncoder().encode(JSON.stringify(problem)).length).toBeLessThanOrEqual(MAX_PROBLEM_BYTES);
        expect(problem.errors).toHaveLength(Math.min(20, unknown.length));
        for (const { pointer } of problem.errors) expect(Array.from(pointer).length).toBeLessThanOrEqual(MAX_QUOTED_CHARACTERS);
        if (unknown.length > 20) expect(problem.detail).toMatch(new RegExp(` and ${unknown.length - 20} more\\.$`));
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStoredExactly(user, new Map([[client.id, client]]));
  });

  it("every endpoint: hostile Authorization headers are 401 and write nothing", async () => {
    const user = await newUser();
    const now = Math.floor(Date.now() / 1000);
    const [wrongSecret, expired, notYetValid, noSub, numericSub, emptySub, objectSub, longSub] = await Promise.all([
      sign({ sub: user.id, exp: now + 600 }, `${env.JWT_SECRET}-not`, "HS256"),
      signToken(user.id, { exp: now - 60 }),
      signToken(user.id, { nbf: now + 600 }),
      signToken(undefined),
      signToken(undefined, { sub: 42 }),
      signToken(""),
      signToken(undefined, { sub: { id: user.id } }),
      signToken("u".repeat(10_000)),
    ]);
    const [header, payload] = user.token.split(".") as [string, string];
    const unsignedHeader = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
    const tokenish = fc
      .array(fc.base64String({ maxLength: 40 }).map((part) => part.replace(/=+$/, "")), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join("."));

    const authorization = fc.option(
      fc.oneof(
        fc.constantFrom(
          "Bearer",
          "Bearer ",
          `Basic ${btoa("user:pass")}`,
          `Bearer ${unsignedHeader}.${payload}.`,
          `Bearer ${header}.${payload}`,
          `Bearer ${header}.${payload}.${"A".repeat(43)}`,
          `Bearer ${user.token} ${user.token}`,
          `Token ${user.token}`,
          ...[wrongSecret, expired, notYetValid, noSub, numericSub, emptySub, objectSub, longSub].map((token) => `Bearer ${token}`),
        ),
        tokenish.map((token) => `Bearer ${token}`),
        headerText,
      ),
      { nil: undefined },
    );
    const endpoint = fc.constantFrom(
      ["POST", "/api/clients"],
      ["GET", "/api/clients"],
      ["GET", "/api/clients/alpha"],
      ["PATCH", "/api/clients/alpha"],
      ["DELETE", "/api/clients/alpha"],
    );

    await fc.assert(
      fc.asyncProperty(authorization, endpoint, extraHeaders, async (credentials, [method, path], headers) => {
        const hasBody = method === "POST" || method === "PATCH";
        const { status, headers: answerHeaders } = await send(method, path, {
          headers: {
            ...headers,
            ...(credentials === undefined ? {} : { Authorization: credentials }),
            ...(hasBody ? { "Content-Type": "application/json" } : {}),
          },
          ...(hasBody ? { body: JSON.stringify({ id: "alpha", name: "Must never be stored" }) } : {}),
        });
        expect(status).toBe(401);
        expect(answerHeaders.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
      }),
      { numRuns: NUM_RUNS },
    );
    await expectStoredExactly(user, new Map());
  });

  it("unknown paths and /health: any path, method and headers", async () => {
    const user = await newUser();
    const path = fc.oneof(
      pathId.map((segment) => `/${segment}`),
      pathId.map((segment) => `/api/${segment}`),
      pathId.map((segment) => `/api/clients/${segment}/${segment}`),
      fc.constantFrom("/health", "/health/", "/HEALTH", "/api", "/api/", "//api//clients", "/api/clients/", "/%2e%2e/health"),
    );
    const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    await fc.assert(
      fc.asyncProperty(path, method, fc.boolean(), extraHeaders, async (target, verb, authenticated, headers) => {
        const { status, body } = await send(verb, target, { headers: { ...headers, ...(authenticated ? bearer(user) : {}) } });
        expect(status).toBe(deservedForBareRequest(verb, target, authenticated));
        if (status === 200 && /^\/health\/?$/.test(new URL(`https://api.test${target}`).pathname)) {
          expect(body).toEqual({ status: "ok", database: "ok" });
        }
      }),
      { numRuns: NUM_RUNS },
    );
    // None of these requests carried a body, so none may have created a client.
    await expectStoredExactly(user, new Map());
  });
});
