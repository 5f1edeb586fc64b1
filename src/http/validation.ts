import { zValidator } from "@hono/zod-validator";
import type * as z from "zod/mini";
import { raise, type FieldError, type Problem } from "./problem";
import { CLIENT_ID_RULE } from "./request-schemas";
import { described, type ValidationTarget } from "./route-meta";

// A problem stays small whatever the request: it lists the first few field errors, counts the rest,
// and quotes no more than the start of a caller's key.
export const MAX_LISTED_ERRORS = 20;
export const MAX_QUOTED_CHARACTERS = 100;

/**
 * At most MAX_QUOTED_CHARACTERS characters of `text`, an ellipsis marking a cut. Control characters and
 * lone surrogates, which JSON would escape into six bytes each, read as U+FFFD: a quoted character
 * costs at most four bytes.
 */
function quoted(text: string): string {
  const characters = Array.from(text.replace(/[\p{Cc}\p{Cs}]/gu, "\ufffd"));
  return characters.length <= MAX_QUOTED_CHARACTERS ? characters.join("") : `${characters.slice(0, MAX_QUOTED_CHARACTERS).join("")}…`;
}

// RFC 6901: "~" and "/" inside a segment are escaped; the empty path points at the whole document.
const toPointer = (path: readonly PropertyKey[]) =>
  quoted(path.map((segment) => `/${String(segment).replaceAll("~", "~0").replaceAll("/", "~1")}`).join(""));

function fieldErrors(error: z.core.$ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ pointer: toPointer([...issue.path, key]), detail: `"${quoted(key)}" is not an accepted field` }))
      : [{ pointer: toPointer(issue.path), detail: issue.message }],
  );
}

const PLACES: Record<ValidationTarget, string> = { json: "request body", query: "query string", param: "path" };

// What the document shows for each place; `invalidFields` words the real ones.
const VALIDATION_FAILED: Record<ValidationTarget, Problem> = {
  json: {
    type: "validation-failed",
    detail: "The request body has invalid fields: /userId.",
    errors: [{ pointer: "/userId", detail: '"userId" is not an accepted field' }],
  },
  query: {
    type: "validation-failed",
    detail: "The query string has invalid fields: /limit.",
    errors: [{ pointer: "/limit", detail: "Too big: expected number to be <=100" }],
  },
  param: {
    type: "validation-failed",
    detail: "The path has invalid fields: /id.",
    errors: [{ pointer: "/id", detail: `must be ${CLIENT_ID_RULE}` }],
  },
};

/** A 400 problem naming the invalid fields of `target`: the first MAX_LISTED_ERRORS, and how many more. */
function invalidFields(target: ValidationTarget, errors: FieldError[]) {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const unlisted = errors.length - listed.length;
  const fields = listed.map((error) => error.pointer || "/").join(", ");
  const more = unlisted > 0 ? ` and ${unlisted} more` : "";
  return raise(VALIDATION_FAILED[target], { detail: `The ${PLACES[target]} has invalid fields: ${fields}${more}.`, errors: listed });
}

/** Validates one part of the request; a failure is a 400 problem naming each field, unknown ones included. */
export const validate = <Target extends ValidationTarget, Schema extends z.ZodMiniType>(target: Target, schema: Schema) =>
  described(
    zValidator(target, schema, (result) => {
      if (!result.success) throw invalidFields(target, fieldErrors(result.error));
    }),
    { problems: [VALIDATION_FAILED[target]], validates: { target, schema } },
  );
