// Where a thrown error becomes an HTTP problem: the errors of Hono's middleware, the data layer's domain
// errors and the settings' check each map to one problem type; whatever nobody classified is `internal`.
import { HTTPException } from "hono/http-exception";
import { MisconfiguredError } from "../config";
import { DatabaseUnavailableError, IdempotencyKeyReusedError, StaleVersionError, UniqueViolationError } from "../db/errors";
import { ApiError, problemTitle, problemTypeOf, unavailable } from "./problem";

// Hono's own middleware throws plain HTTPExceptions: keep their status and message. Never their
// response's headers: the jwt middleware's challenge, for one, echoes the request URL (the
// authenticate middleware answers its 401s itself).
function fromHttpException(error: HTTPException): ApiError {
  const type = problemTypeOf(error.status);
  return new ApiError(type, error.message || problemTitle(type), { cause: error });
}

const TAKEN = "is already used by another of your clients";

function fromUniqueViolation(error: UniqueViolationError): ApiError {
  const { field } = error;
  return new ApiError("conflict", `The ${field} ${TAKEN}.`, { errors: [{ pointer: `/${field}`, detail: TAKEN }], cause: error });
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (error instanceof DatabaseUnavailableError) return unavailable("The database is unavailable. Retry shortly.", error);
  if (error instanceof UniqueViolationError) return fromUniqueViolation(error);
  if (error instanceof StaleVersionError) {
    return new ApiError("precondition-failed", "The client has changed since the ETag in If-Match: nothing was written. Read it again.", {
      cause: error,
    });
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return new ApiError(
      "idempotency-key-reused",
      "This Idempotency-Key was sent before with other fields: nothing was written. Use a new key for a new client.",
      { cause: error },
    );
  }
  if (error instanceof MisconfiguredError) {
    return new ApiError("misconfigured", `The server's settings are invalid: ${error.message}.`, { cause: error });
  }
  return new ApiError("internal", "An unexpected error occurred.", { cause: error });
}
