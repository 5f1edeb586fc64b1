// The OpenAPI 3.1 document, built from the app itself: every route the app serves must have an entry in
// the operations that its route file exports (and every entry a route), its request schemas are the ones
// its validators check, and the problems it may answer with are those of the middleware it runs (./route-meta.ts)
// and of its own entry. `npm run openapi` writes it to public/openapi.json, which the deployment serves as a
// static asset: none of this is in the worker bundle.
import type { Hono } from "hono";
import * as z from "zod/mini";
import { CLIENT_FIELDS, FIELD_NAMES, type FieldRule } from "./client-fields";
import { ENTITY_TAG } from "./entity-tag";
import { INTERNAL, NO_SUCH_ROUTE } from "./errors";
import { MAX_SUBJECT_LENGTH } from "./middleware/auth";
import { RATE_LIMIT_POLICY } from "./rate-limits";
import { PROBLEMS, type Problem } from "./problem";
import { CLIENT_ID_RULE, MAX_CLIENT_ID_LENGTH, STORABLE_TEXT_RULE } from "./request-schemas";
import {
  changeJson,
  changeMessage,
  changePage,
  clientEnvelope,
  clientJson,
  clientPage,
  exampleClient,
  health,
  problemJson,
  requestIdValue,
  problemUrn,
  timestamp,
  type ProblemStatus,
} from "./response-schemas";
import { metaOf, type HandlerMeta, type ValidationTarget } from "./route-meta";
import { MAX_LISTED_ERRORS, MAX_QUOTED_CHARACTERS } from "./validation";

type JsonSchema = Record<string, unknown>;

const RESPONSE_SCHEMAS = {
  Client: clientJson,
  Timestamp: timestamp,
  ClientEnvelope: clientEnvelope,
  ClientPage: clientPage,
  Change: changeJson,
  ChangePage: changePage,
  ChangeMessage: changeMessage,
  Health: health,
};

// What a caller can read in each header the document names; a problem's headers take the values the
// problems send.
const HEADER_DESCRIPTIONS = {
  "X-Request-Id": "Identifies the request in the logs: the caller's own X-Request-Id when well-formed, else a new UUID.",
  Location: "The new client's URL.",
  "Retry-After": "Seconds to wait before retrying.",
  "WWW-Authenticate": "The bearer challenge.",
  Upgrade: "The protocol the route speaks.",
  ETag: "The client's entity tag, strong: its version, which the database makes new on every write of the client. Send it in `If-Match` to write only over this version, in `If-None-Match` to read only a newer one.",
  "RateLimit-Policy": `The per-user limit that counts this request (draft-ietf-httpapi-ratelimit-headers): \`${RATE_LIMIT_POLICY.write}\` for writes, \`${RATE_LIMIT_POLICY.read}\` for reads, a quota \`q\` of requests per window \`w\` of seconds, as wrangler.toml configures them. How much is left is not reported: the rate limiting binding does not say.`,
} as const;
type HeaderName = keyof typeof HEADER_DESCRIPTIONS;

const CLIENTS_PATH = "/api/clients/";

function headerComponents(problems: Problem[]) {
  const sent = (name: string) => [...new Set(problems.flatMap((problem) => problem.headers?.[name] ?? []))];
  const schemas: Record<HeaderName, JsonSchema> = {
    "X-Request-Id": component(z.toJSONSchema(requestIdValue) as JsonSchema),
    Location: { type: "string", maxLength: CLIENTS_PATH.length + MAX_CLIENT_ID_LENGTH, example: `${CLIENTS_PATH}chat-42` },
    "Retry-After": { type: "string", enum: sent("Retry-After") },
    "WWW-Authenticate": { type: "string", enum: sent("WWW-Authenticate") },
    Upgrade: { type: "string", enum: sent("Upgrade") },
    ETag: { type: "string", ...ENTITY_TAG, example: exampleClient.etag },
    "RateLimit-Policy": { type: "string", enum: [RATE_LIMIT_POLICY.write, RATE_LIMIT_POLICY.read] },
  };
  return Object.fromEntries(
    Object.entries(HEADER_DESCRIPTIONS).map(([name, description]) => [name, { description, required: true, schema: schemas[name as HeaderName] }]),
  );
}

export type Operation = {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  /** `[]` for a route that needs no token. */
  security?: [];
  /** Descriptions of the path and query parameters its validators check. */
  parameters?: Record<string, string>;
  /** Named request bodies, made from the example client's fields: those with a value, and the others cleared. */
  requestExamples?: (fields: { values: Record<string, unknown>; cleared: Record<string, null> }) => Record<string, unknown>;
  responses: Record<number, { description: string; content?: keyof typeof RESPONSE_SCHEMAS; headers?: readonly HeaderName[] }>;
  /** What the route's own code may answer with, beyond its middleware's problems. */
  problems?: readonly (Problem | readonly Problem[])[];
};
export type Operations = Record<string, Operation>;

// ---- schemas --------------------------------------------------------------------------------------

const REF_PREFIX = "#/components/schemas/";
const ref = (id: string) => ({ $ref: `${REF_PREFIX}${id}` });

// zod writes a dialect and an id into every top-level schema; inside an OpenAPI 3.1 document the
// document's own dialect applies and components are addressed by their path.
function component({ $schema: _dialect, $id: _id, ...schema }: JsonSchema): JsonSchema {
  return schema;
}

function componentSchemas(io: "input" | "output", schemas: Record<string, z.ZodMiniType>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { io, target: "draft-2020-12", uri: (id) => `${REF_PREFIX}${id}` });
  return Object.fromEntries(Object.entries(generated.schemas).map(([id, schema]) => [id, component(schema)]));
}

// What JSON Schema cannot say about a field (zod's refinements), said in words from its rule.
function fieldNote(rule: FieldRule): string {
  const required = "required" in rule;
  const length = required ? `1 to ${rule.maxLength} characters` : `At most ${rule.maxLength} characters`;
  const trimmed = "trim" in rule ? ` after trimming surrounding white space${required ? ", with at least one visible character" : ""}` : "";
  const kind = rule.kind === "email" ? `A valid address of at most ${rule.maxLength} characters` : `${length}${trimmed}`;
  const note = "note" in rule ? `, ${rule.note}` : "";
  return `${kind}${note}.${required ? "" : " `null` for none."}`;
}

const ID_NOTE = `${CLIENT_ID_RULE}, unique per caller: in practice the chat id. Made up by the server when absent.`;
const PATH_NOTES: Record<string, string> = { id: `The client's id (${CLIENT_ID_RULE}).` };
const FIELD_NOTES: Record<string, string> = {
  id: ID_NOTE,
  ...Object.fromEntries(FIELD_NAMES.map((name) => [name, fieldNote(CLIENT_FIELDS[name])])),
};

function withFieldNotes(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema>;
  const described = Object.entries(properties).map(([name, property]) => [
    name,
    FIELD_NOTES[name] ? { ...property, description: FIELD_NOTES[name] } : property,
  ]);
  return { ...schema, description: `Text fields ${STORABLE_TEXT_RULE}.`, properties: Object.fromEntries(described) };
}

function parameters(place: "path" | "query", schema: z.ZodMiniType, notes: Record<string, string> = {}) {
  const { properties, required = [] } = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: place,
    required: required.includes(name),
    description: notes[name] ?? (place === "path" ? PATH_NOTES : FIELD_NOTES)[name],
    schema: property,
  }));
}

// ---- the app's routes -----------------------------------------------------------------------------

type Route = { method: string; path: string; handlers: HandlerMeta[] };

// A middleware registered for "*", "/api/*" or an exact path runs for the routes under it.
const covers = (pattern: string, path: string) =>
  pattern === "*" || pattern === "/*" || pattern === path || (pattern.endsWith("/*") && path.startsWith(pattern.slice(0, -1)));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app
function servedRoutes(app: Hono<any, any, any>): Route[] {
  const endpoints = app.routes.filter((route) => route.method !== "ALL");
  const keys = [...new Set(endpoints.map(({ method, path }) => `${method} ${path}`))];
  return keys.map((key) => {
    const [method = "", path = ""] = key.split(" ");
    const handlers = app.routes
      .filter((route) => (route.method === "ALL" ? covers(route.path, path) : route.method === method && route.path === path))
      .flatMap((route) => metaOf(route.handler) ?? []);
    return { method, path, handlers };
  });
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

// ---- responses ------------------------------------------------------------------------------------

const headerRefs = (names: readonly string[]) =>
  Object.fromEntries(["X-Request-Id", ...names].map((name) => [name, { $ref: `#/components/headers/${name}` }]));

const problemComponent = (status: number) => `Problem${status}`;

const example = ({ type, detail, errors }: Problem) => ({
  type: problemUrn(type),
  title: PROBLEMS[type].title,
  status: PROBLEMS[type].status,
  detail,
  requestId: "0e7b2188-bae8-4f55-8b07-be4d288b8ef1",
  ...(errors && { errors }),
});

const problemsText = (problems: Problem[]) => problems.map(({ type, detail }) => `\`${type}\`: ${detail}`).join("\n\n");

// Problem responses are components, one per status and set of headers, shared by the operations: each
// operation's reference names only the problems it may answer with. A header is listed when all of a
// component's problems send it.
class ProblemResponses {
  private readonly shared = new Map<string, { status: number; problems: Set<Problem>; alwaysSet: readonly string[] }>();

  /** The operation's answer of `status`: a reference to the shared response, with its own problems' details. */
  refer(status: number, problems: Problem[], alwaysSet: readonly string[]) {
    const name = `${problemComponent(status)}${alwaysSet.map((header) => `_${header.replace(/\W/g, "")}`).join("")}`;
    const entry = this.shared.get(name) ?? { status, problems: new Set<Problem>(), alwaysSet };
    for (const problem of problems) entry.problems.add(problem);
    this.shared.set(name, entry);
    return { $ref: `#/components/responses/${name}`, description: platformNote(status, problemsText(problems)) };
  }

  components() {
    return Object.fromEntries(
      [...this.shared].map(([name, { status, problems: set, alwaysSet }]) => {
        const problems = [...set];
        const headers = Object.keys(problems[0]?.headers ?? {}).filter((header) => problems.every((problem) => header in (problem.headers ?? {})));
        const examples = Object.fromEntries(problems.map((problem, index) => [`${problem.type}-${index + 1}`, { value: example(problem) }]));
        const content = { "application/problem+json": { schema: ref(problemComponent(status)), examples } };
        return [
          name,
          {
            description: platformNote(status, problemsText(problems)),
            headers: headerRefs([...headers, ...alwaysSet]),
            content: status === 413 ? { ...content, "text/html": PLATFORM_PAGE } : content,
          },
        ];
      }),
    );
  }
}

// ---- what the platform answers before the worker does (docs/api.md) -------------------------------

// An error page of the platform: a few KiB of HTML or text (the bound is generous, for the OWASP string rule).
const PLATFORM_PAGE = { schema: { type: "string", maxLength: 65_536 } };

/** Every operation: Cloudflare's edge refuses a long URL itself, so the answer is its page, not a problem. */
const URL_TOO_LONG = {
  description:
    "The URL is longer than the platform takes (Cloudflare: 16 KB; `wrangler dev`: its own limit). Answered by Cloudflare's edge, or locally by the runtime, before the worker runs: a page of its own, not `application/problem+json`.",
  content: { "text/html": PLATFORM_PAGE, "text/plain": PLATFORM_PAGE },
};

const BODY_OVER_PLAN =
  "A body over the Cloudflare plan's limit (100 MB on Free and Pro) is refused by Cloudflare's edge itself, with a page of its own (`text/html`), before the worker runs.";

const platformNote = (status: number, description: string) => (status === 413 ? `${description}\n\n${BODY_OVER_PLAN}` : description);

function groupByStatus(problems: Problem[]): Map<number, Problem[]> {
  const byStatus = new Map<number, Problem[]>();
  for (const problem of new Set(problems)) {
    const { status } = PROBLEMS[problem.type];
    byStatus.set(status, [...(byStatus.get(status) ?? []), problem]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

// ---- the document ---------------------------------------------------------------------------------

const API_DESCRIPTION = `Creates and serves *clients*, the customer record behind a chat, keyed by chat id.

Every route but \`/health\` needs \`Authorization: Bearer <JWT>\`; the caller is the token's \`sub\`, and a client
belongs to that caller only: another user's id answers \`404\`, exactly like a missing one. The token must carry
\`exp\`, and its \`sub\` must be 1 to ${MAX_SUBJECT_LENGTH} characters of text without control characters or unpaired surrogates,
signed as valid UTF-8, and each of its three parts base64url in its one spelling (no padding, no respelled
last character) (else \`401\`).

**Rate limits.** Each caller has a limit on writes (\`POST\`, \`PATCH\`, \`DELETE\`) and a looser one on reads
(\`GET\`), per minute. Over a limit the answer is \`429\` with \`Retry-After\`, before anything else is done:
nothing is written. Other callers are not affected. Every \`/api\` response names its limit in \`RateLimit-Policy\`
(\`${RATE_LIMIT_POLICY.write}\`, \`${RATE_LIMIT_POLICY.read}\`); how much is left is not reported.

**Concurrency.** Every response that carries a client has its version as a strong \`ETag\` (a list item carries it
as \`etag\`). \`If-None-Match\` makes a read of the current version a \`304\`; \`If-Match\` makes a \`PATCH\` or
\`DELETE\` apply only over the version you saw, else \`412\` and nothing is written: checked and written in one
statement, so of many concurrent writes over one version exactly one succeeds. A create without an \`id\` may
carry an \`Idempotency-Key\` to be safe to retry.

**Ids.** ${ID_NOTE} Ids of different callers never collide: \`chat-42\` of one user and \`chat-42\` of another
are two clients.

**Errors** are \`application/problem+json\` (RFC 9457) with a \`type\` URN \`urn:clients-api:problem:…\`, the
\`requestId\` that is also in the \`X-Request-Id\` header, and for invalid fields \`errors\` with a JSON Pointer
to each: the first ${MAX_LISTED_ERRORS}, \`detail\` counting the rest; a key is quoted in at most ${MAX_QUOTED_CHARACTERS} characters. Unknown fields,
\`userId\` included, are rejected with \`400\`. Each operation lists the problems it can answer with.`;

const exampleFields = Object.entries(exampleClient).filter(([name]) => (FIELD_NAMES as string[]).includes(name));
const requestFields = {
  values: Object.fromEntries(exampleFields.filter(([, value]) => value !== null)),
  cleared: Object.fromEntries(exampleFields.filter(([, value]) => value === null).map(([name]) => [name, null])),
};

/** Operations are described in the route files; `app` is the worker's app. Throws when the two disagree. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app
export function openApiDocument(app: Hono<any, any, any>, operations: Operations) {
  const routes = servedRoutes(app);
  const served = new Set(routes.map(({ method, path }) => `${method} ${path}`));
  const undescribed = [...served].filter((key) => !(key in operations));
  const unserved = Object.keys(operations).filter((key) => !served.has(key));
  if (undescribed.length || unserved.length) {
    throw new Error(
      [...undescribed.map((key) => `${key} is served but not described`), ...unserved.map((key) => `${key} is described but not served`)].join("; "),
    );
  }

  const inputs: Record<string, z.ZodMiniType> = {};
  const problemResponses = new ProblemResponses();
  const allProblems: Problem[] = [];
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, handlers } of routes) {
    const operation = operations[`${method} ${path}`]!;
    const { responses, problems: own = [], parameters: notes, requestExamples, ...described } = operation;
    const validated = (target: ValidationTarget) => handlers.find((meta) => meta.validates?.target === target)?.validates?.schema;
    const body = validated("json");
    const bodyId = body && `${operation.operationId[0]!.toUpperCase()}${operation.operationId.slice(1)}`;
    if (body && bodyId) inputs[bodyId] = body;
    const problems = [...handlers.flatMap((meta) => meta.problems ?? []), ...own.flat(), INTERNAL];
    allProblems.push(...problems);
    // What the middleware adds: headers on every response, answers of its own, request headers it reads.
    const alwaysSet = handlers.flatMap((meta) => meta.sets ?? []);
    const answers = Object.assign({}, ...handlers.map((meta) => meta.answers ?? {})) as NonNullable<HandlerMeta["answers"]>;
    const readHeaders = handlers.flatMap(({ reads }) =>
      reads ? [{ name: reads.name, in: "header", required: false, description: reads.description, schema: reads.schema, example: reads.example }] : [],
    );

    const params = [
      ...[validated("param"), validated("query")].flatMap((schema, index) =>
        schema ? parameters(index === 0 ? "path" : "query", schema, notes) : [],
      ),
      ...readHeaders,
    ];
    paths[openApiPath(path)] = {
      ...paths[openApiPath(path)],
      [method.toLowerCase()]: {
        ...described,
        ...(params.length && { parameters: params }),
        ...(bodyId && {
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref(bodyId),
                examples: Object.fromEntries(
                  Object.entries(requestExamples?.(requestFields) ?? { "a client": requestFields.values }).map(([name, value]) => [name, { value }]),
                ),
              },
            },
          },
        }),
        responses: {
          ...Object.fromEntries(
            Object.entries({ ...responses, ...answers } as Operation["responses"]).map(([status, { description, content, headers = [] }]) => [
              status,
              {
                description,
                headers: headerRefs([...headers, ...alwaysSet]),
                ...(content && { content: { "application/json": { schema: ref(content) } } }),
              },
            ]),
          ),
          ...Object.fromEntries([...groupByStatus(problems)].map(([status, list]) => [status, problemResponses.refer(status, list, alwaysSet)])),
          414: { $ref: "#/components/responses/UrlTooLong" },
        },
      },
    };
  }

  const everyProblem = [...allProblems, NO_SUCH_ROUTE];
  const statuses = [...groupByStatus(everyProblem).keys()] as ProblemStatus[];
  return {
    openapi: "3.1.1",
    info: { title: "clients-api", version: "0.1.0", description: API_DESCRIPTION },
    // The document is served by the deployment it describes.
    servers: [{ url: "/", description: "The deployment serving this document: production, staging or local", "x-internal": false }],
    tags: [
      { name: "clients", description: "The caller's clients, keyed by chat id." },
      { name: "health", description: "Liveness of the worker and its database." },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "HS256 signed with the deployment's secret, or signed by the configured identity provider (RS256, PS256, ES256, EdDSA; its `iss` and `aud`). The token's `sub` is the caller. Tokens are checked as RFC8725 (JSON Web Token Best Current Practices) asks: the algorithm is fixed per key, `none` is refused, and `exp` is required.",
        },
      },
      schemas: {
        ...Object.fromEntries(Object.entries(componentSchemas("input", inputs)).map(([id, schema]) => [id, withFieldNotes(schema)])),
        ...componentSchemas("output", {
          ...RESPONSE_SCHEMAS,
          ...Object.fromEntries(statuses.map((status) => [problemComponent(status), problemJson(status)])),
        }),
      },
      headers: headerComponents(everyProblem),
      responses: { ...problemResponses.components(), UrlTooLong: URL_TOO_LONG },
    },
  };
}
