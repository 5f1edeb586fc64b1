// What the API accepts, as zod schemas: the validators of the routes, and the request half of the OpenAPI
// document. The client fields come from their rules in ./client-fields.ts.
import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";
import type { ClientFieldName } from "../db/schema";
import { CLIENT_FIELDS, FIELD_NAMES, isRequired, type ClientFields, type FieldRule } from "./client-fields";

// zod/mini sets no locale (every message would read "Invalid input"), and callers read zod's English
// messages in each field error's `detail`. Imported by path: `z.locales.en` would bundle every locale.
z.config(en());

// JSON Schema cannot see a length or a format in a pattern or a refinement: the document states them beside it.
export const documented = (keywords: { maxLength?: number; format?: string }) => z.meta(keywords);

export const MAX_CLIENT_ID_LENGTH = 64;
export const CLIENT_ID_RULE = `1 to ${MAX_CLIENT_ID_LENGTH} characters of A-Z, a-z, 0-9, _ and -`;
export const clientId = z
  .string()
  .check(
    z.regex(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CLIENT_ID_LENGTH}}$`), `must be ${CLIENT_ID_RULE}`),
    documented({ maxLength: MAX_CLIENT_ID_LENGTH }),
  );

// PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form: refuse both here, as input
// errors, rather than let the database fail on them.
export const STORABLE_TEXT_RULE = "must not contain NUL or unpaired surrogates";
const storable = (text: z.ZodMiniString<string>) =>
  text.check(z.refine((value) => !value.includes("\0") && !/\p{Cs}/u.test(value), STORABLE_TEXT_RULE));

type Value = z.ZodMiniType<string, string>;
type FieldInputs = {
  [K in ClientFieldName]: ClientFields[K] extends { required: true } ? Value : z.ZodMiniOptional<z.ZodMiniNullable<Value>>;
};

// Blank is having no visible character: white space, control and format characters and the code points
// Unicode says to show as nothing (U+200B, U+2060, U+3164, ...) do not make a value, even after trim().
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
const NOT_BLANK = [
  z.minLength(1, "must not be blank"),
  z.refine<string>((value) => VISIBLE.test(value), { message: "must not be blank", when: ({ issues }) => issues.length === 0 }),
];

/** A field's value as its rule takes it: the response schema states the same rule. */
export function fieldValue(rule: FieldRule): Value {
  if (rule.kind === "email") return z.email().check(z.maxLength(rule.maxLength));
  const trim = "trim" in rule ? [z.trim()] : [];
  const nonBlank = isRequired(rule) ? NOT_BLANK : [];
  return storable(z.string().check(...trim, ...nonBlank, z.maxLength(rule.maxLength)));
}

// An optional field may be left out, or sent as `null` to have none.
const fieldInputs = Object.fromEntries(
  FIELD_NAMES.map((name) => {
    const rule: FieldRule = CLIENT_FIELDS[name];
    return [name, isRequired(rule) ? fieldValue(rule) : z.nullish(fieldValue(rule))];
  }),
) as FieldInputs;

export const createClientBody = z.strictObject({ id: z.optional(clientId), ...fieldInputs });

export const updateClientBody = z.partial(z.strictObject(fieldInputs)).check(
  z.refine((changes) => Object.keys(changes).length > 0, {
    message: "must change at least one field",
    // Only for otherwise valid bodies: an unknown key must not also read as "no field".
    when: ({ issues }) => issues.length === 0,
  }),
);

export const clientParams = z.object({ id: clientId });

export const PAGE_SIZE = { min: 1, max: 100, default: 50 } as const;
/** Longer than any cursor the API issues (at most 171 characters: see ./cursor.ts). */
export const MAX_CURSOR_LENGTH = 256;

// `limit` is a whole number in decimal digits as sent: Number() alone would also read "0x10", "0b11", "1e1",
// "+5", "5.0" and " 7 ", each another spelling of a number. The document describes the number it becomes.
const DECIMAL_DIGITS_RULE = "must be a whole number in decimal digits, without sign, spaces or leading zeros";
const DECIMAL_DIGITS = /^(?:0|[1-9][0-9]*)$/;
const decimalInteger = z.transform((value: unknown, context) => {
  if (value === undefined || (typeof value === "string" && DECIMAL_DIGITS.test(value))) return value && Number(value);
  context.issues.push({ code: "custom", message: DECIMAL_DIGITS_RULE, input: value });
  return z.NEVER;
});

const pageLimit = z.pipe(
  decimalInteger,
  z._default(z.number().check(z.int(), z.minimum(PAGE_SIZE.min), z.maximum(PAGE_SIZE.max), documented({ format: "int32" })), PAGE_SIZE.default),
);

// The cursor is checked against its user by the route (see cursor.ts).
export const listClientsQuery = z.strictObject({
  limit: pageLimit,
  cursor: z.optional(z.string().check(z.maxLength(MAX_CURSOR_LENGTH))),
});

export const changesQuery = z.strictObject({
  after: z.pipe(
    decimalInteger,
    z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER), documented({ format: "int64" }))),
  ),
  limit: pageLimit,
});
