import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { causeChain, isTransient, sqlState, violatedUniqueConstraint } from "../db/errors";
import { CLIENTS_EMAIL_INDEX } from "../db/schema";

// The API's one error vocabulary (RFC 9457 problem types) and the status each one answers with.
export const PROBLEMS = {
  "bad-request": { status: 400, title: "Bad request" },
  "validation-failed": { status: 400, title: "Invalid request" },
  "malformed-json": { status: 400, title: "Malformed JSON" },
  unauthorized: { status: 401, title: "Unauthorized" },
  "not-found": { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  internal: { status: 500, title: "Internal server error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemType = keyof typeof PROBLEMS;
export type FieldError = { pointer: string; detail: string };

const RETRY_AFTER_SECONDS = "1";

export class ApiError extends HTTPException {
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly type: ProblemType,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(PROBLEMS[type].status, { message: detail, cause: options.cause });
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const unauthorized = (detail: string, cause?: unknown) =>
  new ApiError("unauthorized", detail, { headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' }, cause });

export const unavailable = (detail: string, cause?: unknown) =>
  new ApiError("unavailable", detail, { headers: { "Retry-After": RETRY_AFTER_SECONDS }, cause });

// Hono's own middleware (JSON parsing, jwt, body limit) throws plain HTTPExceptions: keep their status
// and message, and the WWW-Authenticate challenge a 401 carries.
function fromHttpException(error: HTTPException): ApiError {
  const type =
    (Object.keys(PROBLEMS) as ProblemType[]).find((key) => PROBLEMS[key].status === error.status) ??
    (error.status >= 500 ? "internal" : "bad-request");
  const challenge = error.status === 401 ? (error.res?.headers.get("WWW-Authenticate") ?? "Bearer") : undefined;
  return new ApiError(type, error.message || PROBLEMS[type].title, {
    headers: challenge ? { "WWW-Authenticate": challenge } : {},
    cause: error,
  });
}

const UNIQUE_FIELDS: Record<string, { pointer: string; detail: string }> = {
  [CLIENTS_EMAIL_INDEX]: { pointer: "/email", detail: "is already used by another of your clients" },
};

function fromDatabaseError(error: unknown): ApiError {
  if (isTransient(error)) return unavailable("The database is unavailable. Retry shortly.", error);
  const constraint = violatedUniqueConstraint(error);
  const field = constraint === undefined ? undefined : UNIQUE_FIELDS[constraint];
  if (field) return new ApiError("conflict", `The ${field.pointer.slice(1)} ${field.detail}.`, { errors: [field], cause: error });
  if (constraint !== undefined) return new ApiError("conflict", "The client changed meanwhile. Retry the request.", { cause: error });
  return new ApiError("internal", "An unexpected error occurred.", { cause: error });
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  return fromDatabaseError(error);
}

/** What may be logged about a failure: the names along its cause chain and its SQLSTATE, never a
 *  message (Drizzle's holds the SQL parameters: emails, phone numbers). */
export function describeCause(error: ApiError): { causes?: string[]; sqlstate?: string } {
  if (error.cause === undefined) return {};
  const causes = [...causeChain(error.cause)].map((link) => (link instanceof Error ? link.name : "object"));
  const sqlstate = sqlState(error.cause);
  return sqlstate ? { causes, sqlstate } : { causes };
}

export function problemResponse(c: Context, error: ApiError): Response {
  const { status, title } = PROBLEMS[error.type];
  const body = {
    type: `urn:clients-api:problem:${error.type}`,
    title,
    status,
    detail: error.message,
    requestId: c.get("requestId") as string | undefined,
    ...(error.errors && { errors: error.errors }),
  };
  return c.body(JSON.stringify(body), status, { ...error.headers, "Content-Type": "application/problem+json" });
}
