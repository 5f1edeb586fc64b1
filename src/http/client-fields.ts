// A client's fields as the API takes and gives them, defined once. Every column a caller writes (see
// ClientFieldName in src/db/schema.ts) has one rule here, and the compiler insists on it: the request
// validators (./request-schemas.ts), the response schema (./response-schemas.ts), the JSON mapping below,
// the OpenAPI document's field notes and the tests' field lists all come from these rules.
import type { ClientFieldName, ClientRow } from "../db/schema";
import { entityTagOf } from "./entity-tag";

type RuleOf<Value> = {
  readonly kind: "text" | "email";
  readonly maxLength: number;
  /** Surrounding white space is removed before the checks. */
  readonly trim?: true;
  /** What the document says about the field beyond its kind and length. */
  readonly note?: string;
  readonly example: Value;
};

// A column that cannot hold NULL is a field a create must send and that can never be cleared.
type FieldRules = {
  readonly [K in ClientFieldName]: null extends ClientRow[K] ? RuleOf<string | null> : RuleOf<string> & { readonly required: true };
};

export const CLIENT_FIELDS = {
  name: { kind: "text", required: true, trim: true, maxLength: 200, example: "Ada Lovelace" },
  email: {
    kind: "email",
    maxLength: 254,
    note: "unique among the caller's clients regardless of case",
    example: "ada@example.com",
  },
  phone: { kind: "text", maxLength: 40, example: null },
  company: { kind: "text", maxLength: 200, example: null },
} as const satisfies FieldRules;

export type ClientFields = typeof CLIENT_FIELDS;
export type FieldRule = ClientFields[ClientFieldName];

export const FIELD_NAMES = Object.keys(CLIENT_FIELDS) as ClientFieldName[];

export const isRequired = (rule: FieldRule): rule is Extract<FieldRule, { required: true }> => "required" in rule;

/** A client as the API answers with it. */
export type ClientJson = { id: string } & Pick<ClientRow, ClientFieldName> & { createdAt: string; updatedAt: string; etag: string };

export function toClientJson(row: ClientRow): ClientJson {
  const fields = Object.fromEntries(FIELD_NAMES.map((name) => [name, row[name]])) as Pick<ClientRow, ClientFieldName>;
  return {
    id: row.id,
    ...fields,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    etag: entityTagOf(row.version),
  };
}
