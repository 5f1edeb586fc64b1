// Entity tags (RFC 9110 §8.8.3) for clients: the row's version, a number the database hands out anew on
// every write of the row, as a strong tag. A list of them, as If-Match and If-None-Match carry, is parsed
// here once.
import type { Context } from "hono";
import { raise, type Problem } from "./problem";

// A version is a positive safe integer: at most 16 digits.
const VERSION_DIGITS = "[1-9][0-9]{0,15}";
const VERSION = new RegExp(`^${VERSION_DIGITS}$`);

/** A client's ETag as the API writes it, and its longest length: for the document. */
export const ENTITY_TAG = { pattern: `^"${VERSION_DIGITS}"$`, maxLength: 18 } as const;

/** A client's ETag: its version, quoted. */
export const entityTagOf = (version: number): string => `"${version}"`;

/** An If-Match or If-None-Match value, for the document: `*` or entity tags separated by commas. */
export const ENTITY_TAG_LIST_SCHEMA = { type: "string", maxLength: 1024, examples: ['"1729"', '"1729", "1730"', "*"] } as const;

type EntityTag = { weak: boolean; opaque: string };

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text; list elements are
// separated by commas and optional white space, and empty elements are allowed.
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)")?[ \t]*(?:,|$)/y;

/** `*`, the entity tags of a list, or undefined when the value is neither. */
export function parseEntityTags(value: string): "*" | EntityTag[] | undefined {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  LIST_ELEMENT.lastIndex = 0;
  while (LIST_ELEMENT.lastIndex < value.length) {
    const start = LIST_ELEMENT.lastIndex;
    const match = LIST_ELEMENT.exec(value);
    if (!match || LIST_ELEMENT.lastIndex === start) return undefined;
    if (match[2] !== undefined) tags.push({ weak: match[1] !== undefined, opaque: match[2] });
  }
  return tags;
}

/** The version a client's ETag stands for; undefined for a tag this API never issued. */
export function versionOf({ opaque }: EntityTag): number | undefined {
  const version = VERSION.test(opaque) ? Number(opaque) : undefined;
  return version !== undefined && Number.isSafeInteger(version) ? version : undefined;
}

/** A 400 for a conditional header whose value is not `*` nor a list of entity tags. */
export const badEntityTagList = (header: string): Problem => ({
  type: "bad-request",
  detail: `The ${header} header must be "*" or a list of entity tags such as "42".`,
});

/** The request's `header`: undefined when absent, `*` or its tags; a value that is neither throws `invalid`. */
export function entityTagsIn(c: Context, header: string, invalid: Problem): "*" | EntityTag[] | undefined {
  const value = c.req.header(header);
  if (value === undefined) return undefined;
  const tags = parseEntityTags(value);
  if (tags === undefined) throw raise(invalid);
  return tags;
}
