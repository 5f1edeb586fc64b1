// The OpenAPI 3.1 document, generated from the zod schemas that validate requests (./schemas) and those
// that describe responses (./response-schemas). `npm run openapi` writes it to public/openapi.json, which
// the deployment serves as a static asset: none of this is in the worker bundle.
import * as z from "zod/mini";
import { MAX_BODY_BYTES } from "./middleware/json-body";
import { IDEMPOTENCY_KEY_TTL_HOURS } from "../db/clients";
import { PROBLEMS, type ProblemType } from "./problem";
import { rateLimitPolicyItem } from "./rate-limits";
import {
  clientEnvelope,
  clientJson,
  clientPage,
  health,
  problemJson,
  problemStatuses,
  problemUrn,
  timestamp,
  type ProblemStatus,
} from "./response-schemas";
import { clientParams, createClientBody, listClientsQuery, updateClientBody } from "./schemas";

type JsonSchema = Record<string, unknown>;
type Json = unknown;

const REF_PREFIX = "#/components/schemas/";

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

const ref = (id: string) => ({ $ref: `${REF_PREFIX}${id}` });

// What JSON Schema cannot say about the request fields (zod's refinements), said in words.
const FIELD_NOTES: Record<string, string> = {
  id: "1 to 64 characters of A-Z, a-z, 0-9, `_` and `-`, unique per caller: in practice the chat id. Made up by the server when absent.",
  name: "1 to 200 characters after trimming surrounding white space.",
  email: "A valid address of at most 254 characters, unique among the caller's clients regardless of case. `null` for none.",
  phone: "At most 40 characters. `null` for none.",
  company: "At most 200 characters. `null` for none.",
};
const TEXT_RULE = "Text fields must not contain NUL characters or unpaired surrogates.";

function withFieldNotes(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema>;
  const described = Object.entries(properties).map(([name, property]) => [
    name,
    FIELD_NOTES[name] ? { ...property, description: FIELD_NOTES[name] } : property,
  ]);
  return { ...schema, description: TEXT_RULE, properties: Object.fromEntries(described) };
}

function parameters(place: "path" | "query", schema: z.ZodMiniType, notes: Record<string, string>) {
  const { properties, required = [] } = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: place,
    required: required.includes(name),
    description: notes[name],
    schema: property,
  }));
}

// ---- responses ------------------------------------------------------------------------------------

const HEADERS = {
  "X-Request-Id": {
    description: "Identifies the request in the logs: the caller's own X-Request-Id when well-formed, else a new UUID.",
    required: true,
    schema: { type: "string" },
  },
  Location: { description: "The new client's URL.", required: true, schema: { type: "string" }, example: "/api/clients/chat-42" },
  "Retry-After": { description: "Seconds to wait before retrying.", required: true, schema: { type: "string" }, example: "1" },
  "WWW-Authenticate": {
    description: "The bearer challenge.",
    required: true,
    schema: { type: "string" },
    example: 'Bearer error="invalid_token"',
  },
  ETag: {
    description:
      "The client's entity tag (strong): its version, new on every write of the client. Send it in `If-Match` to write only over this version, in `If-None-Match` to read only a newer one.",
    required: true,
    schema: { type: "string", pattern: '^"[1-9][0-9]*"$' },
    example: '"1729"',
  },
  "RateLimit-Policy": {
    description: `The per-user limit that counts this request (IETF draft-ietf-httpapi-ratelimit-headers): \`${rateLimitPolicyItem("write")}\` for writes, \`${rateLimitPolicyItem("read")}\` for reads: quota \`q\` requests per window \`w\` seconds. On every \`/api\` response. How much of the quota is left is not reported (the rate limiting binding does not say).`,
    required: true,
    schema: { type: "string" },
    example: rateLimitPolicyItem("write"),
  },
} as const;
type HeaderName = keyof typeof HEADERS;

function headers(...names: HeaderName[]) {
  return Object.fromEntries(["X-Request-Id", ...names].map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

// Request headers of the conditional requests and of the idempotent create.
const IF_MATCH = {
  name: "If-Match",
  in: "header",
  required: false,
  description:
    "Write only if the client is still at one of these versions: its `ETag` (strong comparison), or `*` for any. A stale tag answers `412` and writes nothing; without the header the write applies to whatever is stored.",
  schema: { type: "string" },
  example: '"1729"',
};
const IF_NONE_MATCH = {
  name: "If-None-Match",
  in: "header",
  required: false,
  description: "The `ETag` you hold (weak comparison), or `*`: when it is current the answer is `304` with no body.",
  schema: { type: "string" },
  example: '"1729"',
};
const IDEMPOTENCY_KEY = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description: `Makes a create without \`id\` safe to retry: 1 to 255 visible ASCII characters, compared as sent. The same key with the same fields answers \`200\` with the client the first request created; with other fields, \`422\`. A key is remembered for ${IDEMPOTENCY_KEY_TTL_HOURS} hours, per caller. Ignored when the body has an \`id\`.`,
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7E]+$" },
  example: "8e03978e-40d5-43e8-bc93-6894a57f9324",
};

const json = (description: string, schemaId: string, extraHeaders: HeaderName[] = [], examples?: Record<string, Json>) => ({
  description,
  headers: headers(...extraHeaders),
  content: {
    "application/json": {
      schema: ref(schemaId),
      ...(examples && { examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])) }),
    },
  },
});

// One entry per problem status; the record's type makes a new status in PROBLEMS (src/http/problem.ts)
// fail to compile until it is described here.
const PROBLEM_RESPONSES: Record<ProblemStatus, { description: string; headers?: HeaderName[]; example: Json }> = {
  400: {
    description: "Invalid request: `errors` names each field at fault (body, query string or path), or the body is not JSON.",
    example: {
      type: problemUrn("validation-failed"),
      title: PROBLEMS["validation-failed"].title,
      status: 400,
      detail: "The request body has invalid fields: /userId.",
      requestId: "0e7b2188-bae8-4f55-8b07-be4d288b8ef1",
      errors: [{ pointer: "/userId", detail: '"userId" is not an accepted field' }],
    },
  },
  401: {
    description:
      "No bearer token (`WWW-Authenticate: Bearer`), or one that is malformed, badly signed, expired, `alg: none`, without `exp`, or whose `sub` is not 1 to 255 characters of text without control characters or unpaired surrogates (`WWW-Authenticate: Bearer error=\"invalid_token\"`).",
    headers: ["WWW-Authenticate"],
    example: problemExample("unauthorized", "The bearer token is invalid or expired."),
  },
  404: {
    description:
      "No such client among the caller's: another user's id answers exactly like a missing one. On a create, the client an `Idempotency-Key` made has been deleted since.",
    example: problemExample("not-found", "You have no client with this id."),
  },
  412: {
    description: "`If-Match` named a version the client is no longer at: nothing was written. Read the client again.",
    example: problemExample(
      "precondition-failed",
      "The client has changed since the ETag in If-Match: nothing was written. Read it again.",
    ),
  },
  422: {
    description: "This `Idempotency-Key` was first sent with other fields: nothing was written.",
    example: problemExample(
      "idempotency-key-reused",
      "This Idempotency-Key was sent before with other fields: nothing was written. Use a new key for a new client.",
    ),
  },
  409: {
    description: "Another of the caller's clients has this email (`errors[0].pointer` is `/email`).",
    example: {
      ...problemExample("conflict", "The email is already used by another of your clients."),
      errors: [{ pointer: "/email", detail: "is already used by another of your clients" }],
    },
  },
  413: {
    description: `The body is larger than ${MAX_BODY_BYTES} bytes.`,
    example: problemExample("payload-too-large", `The request body exceeds ${MAX_BODY_BYTES} bytes.`),
  },
  415: {
    description: "The body is not `application/json`.",
    example: problemExample("unsupported-media-type", "Send the body as application/json."),
  },
  429: {
    description:
      "The caller used up its rate limit: writes (`POST`, `PATCH`, `DELETE`) and reads (`GET`) each have a per-user limit per minute. Checked before anything else: nothing was written. Retry after `Retry-After` seconds (60).",
    headers: ["Retry-After"],
    example: problemExample("rate-limited", "Too many requests from this user. Retry after the time in Retry-After."),
  },
  500: {
    description: "An unexpected error, or invalid server settings (`misconfigured`): never a stack trace or SQL.",
    example: problemExample("internal", "An unexpected error occurred."),
  },
  503: {
    description: "The database (or the identity provider's keys) could not be reached, after one retry. Retry after `Retry-After` seconds.",
    headers: ["Retry-After"],
    example: problemExample("unavailable", "The database is unavailable. Retry shortly."),
  },
};

function problemExample(type: ProblemType, detail: string) {
  const { status, title } = PROBLEMS[type];
  return { type: problemUrn(type), title, status, detail, requestId: "0e7b2188-bae8-4f55-8b07-be4d288b8ef1" };
}

const problemComponent = (status: ProblemStatus) => `Problem${status}`;

const problems = (...statuses: ProblemStatus[]) =>
  Object.fromEntries(statuses.map((status) => [status, { $ref: `#/components/responses/${problemComponent(status)}` }]));

// Every operation behind authentication may answer these, the per-user rate limit's 429 included.
const AUTHENTICATED_PROBLEMS: ProblemStatus[] = [401, 429, 500, 503];
const BODY_PROBLEMS: ProblemStatus[] = [400, 413, 415];

// ---- the document ---------------------------------------------------------------------------------

const IDEMPOTENT_CREATE = `Creating is safe to repeat and to race: the insert goes first, and when the id exists already for
the caller the stored row is returned with \`200\` (the body's fields are **not** applied, and there is no
\`Location\`). So a chat app may send the same create from several tabs or retries at once: exactly one
request answers \`201\`, the others \`200\` with that first writer's row. Without an \`id\` the server makes up
a new one (a UUID) on every call, so such a create is not idempotent: send the chat id to make it so.`;

const API_DESCRIPTION = `Creates and serves *clients*, the customer record behind a chat, keyed by chat id.

Every route but \`/health\` needs \`Authorization: Bearer <JWT>\`; the caller is the token's \`sub\`, and a client
belongs to that caller only: another user's id answers \`404\`, exactly like a missing one. The token must carry
\`exp\`, and its \`sub\` must be 1 to 255 characters of text without control characters or unpaired surrogates
(else \`401\`).

**Rate limits.** Each caller has a limit on writes (\`POST\`, \`PATCH\`, \`DELETE\`) and a looser one on reads
(\`GET\`), per minute. Over a limit the answer is \`429\` with \`Retry-After\`, before anything else is done:
nothing is written. Other callers are not affected.

**Ids.** ${FIELD_NOTES.id} Ids of different callers never collide: \`chat-42\` of one user and \`chat-42\` of another
are two clients.

**Create is idempotent.** ${IDEMPOTENT_CREATE}

**Errors** are \`application/problem+json\` (RFC 9457) with a \`type\` URN \`urn:clients-api:problem:…\`, the
\`requestId\` that is also in the \`X-Request-Id\` header, and for invalid fields \`errors\` with a JSON Pointer
to each: the first 20, \`detail\` counting the rest; a key is quoted in at most 100 characters. Unknown fields,
\`userId\` included, are rejected with \`400\`.`;

const clientIdParameter = parameters("path", clientParams, { id: "The client's id (1 to 64 of `A-Z a-z 0-9 _ -`)." });

const createExamples = {
  "with the chat id (idempotent)": { id: "chat-42", name: "Ada Lovelace", email: "ada@example.com" },
  "without an id (the server makes one up)": { name: "Grace Hopper", company: "US Navy" },
};
const exampleClient = (z.globalRegistry.get(clientJson)?.examples as Json[] | undefined)?.[0];

export function openApiDocument() {
  const inputSchemas = Object.fromEntries(
    Object.entries(componentSchemas("input", { CreateClient: createClientBody, UpdateClient: updateClientBody })).map(
      ([id, schema]) => [id, withFieldNotes(schema)],
    ),
  );
  const outputSchemas = componentSchemas("output", {
    Client: clientJson,
    Timestamp: timestamp,
    ClientEnvelope: clientEnvelope,
    ClientPage: clientPage,
    Health: health,
    ...Object.fromEntries(problemStatuses.map((status) => [problemComponent(status), problemJson(status)])),
  });

  const jsonBody = (schemaId: string, examples: Record<string, Json>) => ({
    required: true,
    content: {
      "application/json": {
        schema: ref(schemaId),
        examples: Object.fromEntries(Object.entries(examples).map(([summary, value]) => [summary, { value }])),
      },
    },
  });

  return {
    openapi: "3.1.1",
    info: { title: "clients-api", version: "0.1.0", description: API_DESCRIPTION },
    tags: [
      { name: "clients", description: "The caller's clients, keyed by chat id." },
      { name: "health", description: "Liveness of the worker and its database." },
    ],
    security: [{ bearerAuth: [] }],
    paths: {
      "/api/clients": {
        post: {
          operationId: "createClient",
          tags: ["clients"],
          summary: "Create a client, or get the existing one with this id",
          description: IDEMPOTENT_CREATE,
          parameters: [IDEMPOTENCY_KEY],
          requestBody: jsonBody("CreateClient", createExamples),
          responses: {
            201: json("Created: the new client.", "ClientEnvelope", ["Location", "ETag", "RateLimit-Policy"], {
              created: { client: exampleClient },
            }),
            200: json(
              "The id exists already, or the `Idempotency-Key` was sent before with the same fields: the stored client, unchanged.",
              "ClientEnvelope",
              ["ETag", "RateLimit-Policy"],
              { existing: { client: exampleClient } },
            ),
            ...problems(...BODY_PROBLEMS, 404, 409, 422, ...AUTHENTICATED_PROBLEMS),
          },
        },
        get: {
          operationId: "listClients",
          tags: ["clients"],
          summary: "List the caller's clients, newest first, a page at a time",
          parameters: parameters("query", listClientsQuery, {
            limit: "Clients per page, 1 to 100.",
            cursor:
              "The `nextCursor` of the previous page; absent for the first page. Opaque, tamper-evident and bound to the caller: any other value answers `400` naming `/cursor`.",
          }),
          responses: {
            200: json("One page of clients.", "ClientPage", ["RateLimit-Policy"]),
            ...problems(400, ...AUTHENTICATED_PROBLEMS),
          },
        },
      },
      "/api/clients/{id}": {
        parameters: clientIdParameter,
        get: {
          operationId: "getClient",
          tags: ["clients"],
          summary: "Get a client",
          parameters: [IF_NONE_MATCH],
          responses: {
            200: json("The client.", "ClientEnvelope", ["ETag", "RateLimit-Policy"]),
            304: { description: "`If-None-Match` holds the current ETag: no body.", headers: headers("ETag", "RateLimit-Policy") },
            ...problems(400, 404, ...AUTHENTICATED_PROBLEMS),
          },
        },
        patch: {
          operationId: "updateClient",
          tags: ["clients"],
          summary: "Change some of a client's fields",
          description: "Only the fields present change; `null` clears an optional field. At least one field is required.",
          parameters: [IF_MATCH],
          requestBody: jsonBody("UpdateClient", { "change the email, clear the phone": { email: "ada@example.org", phone: null } }),
          responses: {
            200: json("The updated client.", "ClientEnvelope", ["ETag", "RateLimit-Policy"]),
            ...problems(...BODY_PROBLEMS, 404, 409, 412, ...AUTHENTICATED_PROBLEMS),
          },
        },
        delete: {
          operationId: "deleteClient",
          tags: ["clients"],
          summary: "Delete a client",
          parameters: [IF_MATCH],
          responses: {
            204: { description: "Deleted.", headers: headers("RateLimit-Policy") },
            ...problems(400, 404, 412, ...AUTHENTICATED_PROBLEMS),
          },
        },
      },
      "/health": {
        get: {
          operationId: "health",
          tags: ["health"],
          summary: "Check the worker and its database (`select 1`)",
          security: [],
          responses: { 200: json("Up, and the database answers.", "Health"), ...problems(500, 503) },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "HS256 signed with the deployment's secret, or signed by the configured identity provider (RS256, PS256, ES256, EdDSA; its `iss` and `aud`). The token's `sub` is the caller.",
        },
      },
      schemas: { ...inputSchemas, ...outputSchemas },
      headers: HEADERS,
      responses: Object.fromEntries(
        problemStatuses.map((status) => {
          const { description, headers: extra = [], example } = PROBLEM_RESPONSES[status];
          const content = { "application/problem+json": { schema: ref(problemComponent(status)), example } };
          return [problemComponent(status), { description, headers: headers(...extra), content }];
        }),
      ),
    },
  };
}
