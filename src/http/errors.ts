// Where a thrown error becomes an HTTP problem: the errors of Hono's middleware, the data layer's domain
// errors and the settings' check each map to one problem type; whatever nobody classified is `internal`.
import { HTTPException } from "hono/http-exception";
import { MisconfiguredError, SETTING_RULES } from "../config";
import { CHANGE_RETENTION_DAYS } from "../db/changes";
import {
  ChangePositionUnknownError,
  DatabaseUnavailableError,
  IdempotencyKeyReusedError,
  StaleVersionError,
  UniqueViolationError,
} from "../db/errors";
import { UNIQUE_FIELDS } from "../db/schema";
import { ApiError, problemTitle, problemTypeOf, raise, RETRY_SOON, type Problem } from "./problem";

export const NO_SUCH_ROUTE: Problem = { type: "not-found", detail: "No such route." };
export const INTERNAL: Problem = { type: "internal", detail: "An unexpected error occurred." };
const misconfigured = (rules: string): Problem => ({ type: "misconfigured", detail: `The server's settings are invalid: ${rules}.` });
export const MISCONFIGURED = misconfigured(`DATABASE_URL ${SETTING_RULES.DATABASE_URL}`);
export const DATABASE_UNAVAILABLE: Problem = {
  type: "unavailable",
  detail: "The database is unavailable. Retry shortly.",
  headers: RETRY_SOON,
};

const TAKEN = "is already used by another of your clients";
const fieldTaken = (field: string): Problem => ({
  type: "conflict",
  detail: `The ${field} ${TAKEN}.`,
  errors: [{ pointer: `/${field}`, detail: TAKEN }],
});
/** A write that gives a field a value another of the caller's clients has (a unique constraint's field). */
export const FIELD_TAKEN: readonly Problem[] = Object.values(UNIQUE_FIELDS).map(fieldTaken);

/** A conditional write (If-Match) found the client at another version. */
export const STALE_VERSION: Problem = {
  type: "precondition-failed",
  detail: "The client has changed since the ETag in If-Match: nothing was written. Read it again.",
};
/** A create under an Idempotency-Key the caller first sent with other fields. */
export const KEY_REUSED: Problem = {
  type: "idempotency-key-reused",
  detail: "This Idempotency-Key was sent before with other fields: nothing was written. Use a new key for a new client.",
};

/** GET /api/clients/changes from a position the log no longer holds every change after, or never reached. */
export const POSITION_UNKNOWN: Problem = {
  type: "position-unknown",
  detail: `The change log does not hold every change after this position (it keeps them ${CHANGE_RETENTION_DAYS} days): reload the list, then follow the changes from the position that GET /api/clients/changes without \`after\` gives.`,
};

// Hono's own middleware throws plain HTTPExceptions: keep their status and message. Never their
// response's headers: the jwt middleware's challenge, for one, echoes the request URL (the
// authenticate middleware answers its 401s itself).
function fromHttpException(error: HTTPException): ApiError {
  const type = problemTypeOf(error.status);
  return new ApiError(type, error.message || problemTitle(type), { cause: error });
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (error instanceof DatabaseUnavailableError) return raise(DATABASE_UNAVAILABLE, { cause: error });
  if (error instanceof UniqueViolationError) return raise(fieldTaken(error.field), { cause: error });
  if (error instanceof StaleVersionError) return raise(STALE_VERSION, { cause: error });
  if (error instanceof IdempotencyKeyReusedError) return raise(KEY_REUSED, { cause: error });
  if (error instanceof ChangePositionUnknownError) return raise(POSITION_UNKNOWN, { cause: error });
  if (error instanceof MisconfiguredError) return raise(misconfigured(error.message), { cause: error });
  return raise(INTERNAL, { cause: error });
}
