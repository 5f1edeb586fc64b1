import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

// The API's one error vocabulary (RFC 9457 problem types) and the status each one answers with.
export const PROBLEMS = {
  "bad-request": { status: 400, title: "Bad request" },
  "validation-failed": { status: 400, title: "Invalid request" },
  "malformed-json": { status: 400, title: "Malformed JSON" },
  unauthorized: { status: 401, title: "Unauthorized" },
  "not-found": { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  "position-unknown": { status: 410, title: "Position not in the change log" },
  "precondition-failed": { status: 412, title: "Precondition failed" },
  "payload-too-large": { status: 413, title: "Payload too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "idempotency-key-reused": { status: 422, title: "Idempotency key reused" },
  "upgrade-required": { status: 426, title: "Upgrade required" },
  "rate-limited": { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal server error" },
  misconfigured: { status: 500, title: "Server misconfigured" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemType = keyof typeof PROBLEMS;
export type FieldError = { pointer: string; detail: string };

/**
 * One problem the API may answer with, named where it is raised: the code throws it with `raise`, and
 * the OpenAPI document lists it under each operation that can reach that code (its detail, headers and
 * field errors are the document's example). A detail that depends on the request is given to `raise`.
 */
export type Problem = {
  readonly type: ProblemType;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly errors?: readonly FieldError[];
};

export class ApiError extends HTTPException {
  readonly errors: FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly type: ProblemType,
    detail: string,
    options: { errors?: FieldError[]; headers?: Readonly<Record<string, string>>; cause?: unknown } = {},
  ) {
    super(PROBLEMS[type].status, { message: detail, cause: options.cause });
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const raise = (problem: Problem, options: { detail?: string; errors?: FieldError[]; cause?: unknown } = {}) =>
  new ApiError(problem.type, options.detail ?? problem.detail, {
    headers: problem.headers,
    errors: options.errors ?? problem.errors?.slice(),
    cause: options.cause,
  });

/** The challenge of a 401 for a credential that was sent (RFC 6750). */
export const INVALID_TOKEN_CHALLENGE = { "WWW-Authenticate": 'Bearer error="invalid_token"' } as const;

/** A failure worth retrying soon: the database or the identity provider's keys could not be reached. */
export const RETRY_SOON = { "Retry-After": "1" } as const;

/** The problem type a bare HTTP status stands for, for errors thrown by Hono's own middleware. */
export function problemTypeOf(status: number): ProblemType {
  return (
    (Object.keys(PROBLEMS) as ProblemType[]).find((key) => PROBLEMS[key].status === status) ??
    (status >= 500 ? "internal" : "bad-request")
  );
}

export const problemTitle = (type: ProblemType) => PROBLEMS[type].title;

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
