import type * as z from "zod";
import { ApiError, type FieldError } from "./problem";

// RFC 6901: "~" and "/" inside a segment are escaped; the empty path points at the whole document.
const toPointer = (path: readonly PropertyKey[]) =>
  path.map((segment) => `/${String(segment).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

function fieldErrors(error: z.core.$ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ pointer: toPointer([...issue.path, key]), detail: `"${key}" is not an accepted field` }))
      : [{ pointer: toPointer(issue.path), detail: issue.message }],
  );
}

const PLACES: Record<string, string> = { json: "request body", query: "query string", param: "path" };

/** Hook for `zValidator`: a failed validation becomes a 400 problem naming each field, unknown ones included. */
export function rejectInvalid(
  result: { success: true } | { success: false; error: z.core.$ZodError; target: string },
): void {
  if (result.success) return;
  const errors = fieldErrors(result.error);
  const fields = errors.map((error) => error.pointer || "/").join(", ");
  throw new ApiError("validation-failed", `The ${PLACES[result.target] ?? result.target} has invalid fields: ${fields}.`, {
    errors,
  });
}
