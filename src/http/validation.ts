import type * as z from "zod/mini";
import { ApiError, type FieldError } from "./problem";

// A problem stays small whatever the request: it lists the first few field errors, counts the rest,
// and quotes no more than the start of a caller's key.
export const MAX_LISTED_ERRORS = 20;
const MAX_QUOTED_CHARACTERS = 100;

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

const PLACES: Record<string, string> = { json: "request body", query: "query string", param: "path" };

/** A 400 problem naming the invalid fields of `target` (json, query or param): the first 20, and how many more. */
export function invalidFields(target: string, errors: FieldError[]): ApiError {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const unlisted = errors.length - listed.length;
  const fields = listed.map((error) => error.pointer || "/").join(", ");
  const more = unlisted > 0 ? ` and ${unlisted} more` : "";
  return new ApiError("validation-failed", `The ${PLACES[target] ?? target} has invalid fields: ${fields}${more}.`, {
    errors: listed,
  });
}

/** Hook for `zValidator`: a failed validation becomes a 400 problem naming each field, unknown ones included. */
export function rejectInvalid(
  result: { success: true } | { success: false; error: z.core.$ZodError; target: string },
): void {
  if (!result.success) throw invalidFields(result.target, fieldErrors(result.error));
}
