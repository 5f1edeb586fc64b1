// What the API answers, as zod schemas: the OpenAPI document is generated from them (with the request
// schemas in ./request-schemas.ts) and the contract tests validate every response against that document.
// Nothing here reaches the worker bundle.
import * as z from "zod/mini";
import type { ClientFieldName } from "../db/schema";
import type { ChangeJson } from "./change-json";
import { CLIENT_FIELDS, FIELD_NAMES, isRequired, type ClientJson, type FieldRule } from "./client-fields";
import { ENTITY_TAG, entityTagOf } from "./entity-tag";
import { PROBLEMS, type ProblemType } from "./problem";
import { clientId, documented, fieldValue, MAX_CURSOR_LENGTH, PAGE_SIZE } from "./request-schemas";
import { MAX_LISTED_ERRORS, MAX_QUOTED_CHARACTERS } from "./validation";

export const timestamp = z.iso.datetime().check(documented({ maxLength: 24 }), z.describe("ISO 8601 timestamp in UTC, with milliseconds"));

// A stored value meets its field's rule as the request did; an optional field reads `null` for none.
function outputOf(rule: FieldRule) {
  const value = fieldValue(rule).check(...("trim" in rule ? [z.describe("Trimmed of surrounding white space")] : []));
  return isRequired(rule) ? value : z.nullable(value);
}

const fieldOutputs = Object.fromEntries(FIELD_NAMES.map((name) => [name, outputOf(CLIENT_FIELDS[name])])) as Record<
  ClientFieldName,
  ReturnType<typeof outputOf>
>;

const exampleFields = Object.fromEntries(FIELD_NAMES.map((name) => [name, CLIENT_FIELDS[name].example]));
const EXAMPLE_MOMENT = "2026-11-27T18:00:01.086Z";

/** A client as the document shows it, from the fields' examples. */
export const exampleClient = {
  id: "chat-42",
  ...exampleFields,
  createdAt: EXAMPLE_MOMENT,
  updatedAt: EXAMPLE_MOMENT,
  etag: entityTagOf(1729),
} as ClientJson;

export const clientJson = z
  .strictObject({
    id: clientId.check(z.describe("The client's id: the chat id given on create, or one the server made up")),
    ...fieldOutputs,
    createdAt: timestamp,
    updatedAt: timestamp,
    etag: z
      .string()
      .check(
        z.regex(new RegExp(ENTITY_TAG.pattern)),
        z.maxLength(ENTITY_TAG.maxLength),
        z.describe("The client's ETag, as in the ETag header: send it in If-Match to change the client only as you saw it"),
      ),
  })
  .check(z.meta({ examples: [exampleClient] }));

export const clientEnvelope = z.strictObject({ client: clientJson });

export const clientPage = z.strictObject({
  clients: z.array(clientJson).check(z.maxLength(PAGE_SIZE.max), z.describe("Newest first")),
  nextCursor: z
    .nullable(z.string().check(z.maxLength(MAX_CURSOR_LENGTH)))
    .check(z.describe("Pass as `cursor` to get the next page; `null` on the last page")),
});

const seq = z.number().check(z.int(), z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER), documented({ format: "int64" }));

// A change, and a live message, which is a change with its `type`.
const changeOf = <Extra extends z.core.$ZodLooseShape>(extra: Extra) =>
  z.discriminatedUnion("op", [
    z.strictObject({
      ...extra,
      seq,
      op: z.enum(["created", "updated"]),
      client: clientJson.check(z.describe("The client as the change left it")),
    }),
    z.strictObject({
      ...extra,
      seq,
      op: z.literal("deleted"),
      client: z.strictObject({ id: clientJson.shape.id, etag: clientJson.shape.etag }).check(z.describe("The deleted client's id and last ETag")),
    }),
  ]);

const exampleChange: ChangeJson = { seq: 7, op: "updated", client: exampleClient };

export const changeJson = changeOf({}).check(
  z.describe("One committed change of the caller's clients, at position `seq` (1, 2, 3, ... per caller)"),
  z.meta({ examples: [exampleChange] }),
);

export const changePage = z.strictObject({
  changes: z.array(changeJson).check(z.maxLength(PAGE_SIZE.max), z.describe("Oldest first")),
  next: z
    .number()
    .check(z.int(), z.minimum(0), documented({ format: "int64" }), z.describe("Pass as `after` next time: the last change's `seq`, or the position asked for when there were none")),
});

/** A live socket's message (GET /api/clients/live): a change, as the change log gives it. */
export const changeMessage = changeOf({ type: z.literal("change") }).check(
  z.describe("A live socket's message: one change, as GET /api/clients/changes gives it"),
  z.meta({ examples: [{ type: "change", ...exampleChange }] }),
);

export const health = z.strictObject({ status: z.literal("ok"), database: z.literal("ok") });

// A caller's key is quoted in at most MAX_QUOTED_CHARACTERS characters and an ellipsis; the rest of a
// problem's text is the API's own.
const QUOTED_KEY_LENGTH = MAX_QUOTED_CHARACTERS + 1;
const MAX_DETAIL_LENGTH = 4096;

const fieldError = z.strictObject({
  pointer: z
    .string()
    .check(z.maxLength(QUOTED_KEY_LENGTH), z.describe("JSON Pointer (RFC 6901) to the field at fault; empty for the whole body")),
  detail: z.string().check(z.maxLength(QUOTED_KEY_LENGTH + 100)),
});

/** What Hono's requestId middleware keeps of a caller's X-Request-Id (else it makes a UUID). */
export const requestIdValue = z.string().check(z.regex(/^[\w=-]{1,255}$/), documented({ maxLength: 255 }));

export const problemUrn = <T extends ProblemType>(type: T) => `urn:clients-api:problem:${type}` as const;

export type ProblemStatus = (typeof PROBLEMS)[ProblemType]["status"];

/** RFC 9457 problem details for one status: `type` is one of the URNs that status answers with. */
export function problemJson(status: ProblemStatus) {
  const types = (Object.keys(PROBLEMS) as ProblemType[]).filter((type) => PROBLEMS[type].status === status);
  const [first, ...rest] = types.map(problemUrn);
  if (!first) throw new Error(`no problem type answers ${status}`);
  const [title, ...titles] = [...new Set(types.map((type) => PROBLEMS[type].title))];
  return z.strictObject({
    type: z.enum([first, ...rest]),
    title: z.enum([title!, ...titles]),
    status: z.literal(status),
    detail: z.string().check(z.maxLength(MAX_DETAIL_LENGTH), z.describe("What went wrong, for a human")),
    requestId: requestIdValue.check(z.describe("The same value as the X-Request-Id header")),
    errors: z
      .optional(z.array(fieldError).check(z.maxLength(MAX_LISTED_ERRORS)))
      .check(z.describe("The fields at fault (400 and 409): the first 20, `detail` counts the rest")),
  });
}
