// Classifies what the Neon driver and Drizzle throw, and defines the few errors the data layer throws
// instead: callers see a domain error or, for anything nobody classified, the original error.
// The SQLSTATE sits at different depths depending on the call (Drizzle wraps it in `cause`, `db.batch`
// does not), so the `cause` chain is walked.

const MAX_CAUSE_DEPTH = 8;

// Postgres SQLSTATE classes: two digits, or F0, HV, P0, XX. This keeps system codes such as "EPIPE" out.
const SQLSTATE = /^(?:[0-5][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

// 57P01 admin shutdown, 57P03 cannot connect now, 53300 too many connections, 40001 serialization failure,
// 40P01 deadlock; class 08 is connection exceptions.
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P03", "53300", "40001", "40P01"]);

// Statuses of Neon's proxy that say nothing about the query itself (507 is a response too large: permanent).
// The driver appends the proxy's body, Neon's error shape, whose message says why for a 5xx.
const PROXY_STATUS = /^Server error \(HTTP status (\d{3})\): ?(.*)$/s;
const MAX_REASON_LENGTH = 200;
const isTransientProxyStatus = (status: number) => status >= 500 && status !== 507;

/** The database could not be reached or used, even after the retry: worth trying again later. */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
}

/** A unique constraint other than the one a create resolves by itself refused the write. */
export class UniqueViolationError extends Error {
  override readonly name = "UniqueViolationError";

  /** The field whose value is taken, as the caller named it. */
  readonly field: string;

  constructor(field: string, options: { cause: unknown }) {
    super(`unique violation on ${field}`, options);
    this.field = field;
  }
}

/** A conditional write found the client at a version other than the ones the caller named: nothing was written. */
export class StaleVersionError extends Error {
  override readonly name = "StaleVersionError";
}

/** An idempotency key came back with a request other than the one it was first sent with: nothing was written. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = "IdempotencyKeyReusedError";
}

/** A reader asked for the changes after a position the log does not hold all changes after: it must reload. */
export class ChangePositionUnknownError extends Error {
  override readonly name = "ChangePositionUnknownError";
}

type DatabaseErrorFields = { code: string; constraint?: string; column?: string };

/** The error and its causes, outermost first; stops at a repeat or after MAX_CAUSE_DEPTH links. */
export function* causeChain(error: unknown): Generator<object> {
  const seen = new Set<unknown>();
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === "object" && current !== null; depth++) {
    if (seen.has(current)) return;
    seen.add(current);
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The first error in the cause chain that carries a Postgres SQLSTATE, with its constraint name. */
export function findDatabaseError(error: unknown): DatabaseErrorFields | undefined {
  for (const link of causeChain(error)) {
    const { code, constraint, column } = link as { code?: unknown; constraint?: unknown; column?: unknown };
    if (typeof code === "string" && SQLSTATE.test(code)) {
      return {
        code,
        ...(typeof constraint === "string" && { constraint }),
        ...(typeof column === "string" && { column }),
      };
    }
  }
  return undefined;
}

/** The constraint named by a unique violation (23505), or undefined for any other error. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const found = findDatabaseError(error);
  return found?.code === "23505" ? found.constraint : undefined;
}

/** The column a not-null violation (23502) names, or undefined for any other error. */
export function violatedNotNullColumn(error: unknown): string | undefined {
  const found = findDatabaseError(error);
  return found?.code === "23502" ? found.column : undefined;
}

/**
 * Why a round trip never reached PostgreSQL, in words an operator can act on and with nothing from the
 * query: a timeout, the proxy's HTTP status, or the failed fetch. Undefined when it did reach it.
 * The driver reports an unreachable or failing endpoint as a NeonDbError without a code: `sourceError`
 * holds the rejected fetch; a timeout may surface as the abort reason itself.
 */
export function connectionFailure(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    const { name, message, sourceError } = link as { name?: unknown; message?: unknown; sourceError?: unknown };
    if (name === "TimeoutError" || name === "AbortError") return "timed out";
    if (name !== "NeonDbError") continue;
    if (sourceError !== undefined) return `request failed: ${describeFetchFailure(sourceError)}`;
    const [, status, body] = (typeof message === "string" && PROXY_STATUS.exec(message)) || [];
    if (status) return `HTTP status ${status}${proxyReason(Number(status), body)}`;
  }
  return undefined;
}

/**
 * The proxy's own words for a failure of its own (5xx: the database unreachable, a timeout), which quote
 * nothing of the query; nothing for a 4xx, whose message may.
 */
function proxyReason(status: number, body: string | undefined): string {
  if (status < 500 || !body) return "";
  try {
    const { message } = JSON.parse(body) as { message?: unknown };
    return typeof message === "string" && message ? `: ${message.slice(0, MAX_REASON_LENGTH)}` : "";
  } catch {
    return "";
  }
}

function describeFetchFailure(sourceError: unknown): string {
  if (!(sourceError instanceof Error)) return "unknown error";
  if (sourceError.name === "TimeoutError" || sourceError.name === "AbortError") return "timed out";
  // A fetch failure's message names the network problem (connection refused, DNS, TLS), never the query.
  return `${sourceError.name}: ${sourceError.message.slice(0, 200)}`;
}

/** Worth one retry: the same statement may well succeed a moment later. */
export function isTransient(error: unknown): boolean {
  const code = findDatabaseError(error)?.code;
  if (code !== undefined) return code.startsWith("08") || TRANSIENT_SQLSTATES.has(code);
  const failure = connectionFailure(error);
  if (failure === undefined) return false;
  const status = /^HTTP status (\d{3})\b/.exec(failure)?.[1];
  return status === undefined || isTransientProxyStatus(Number(status));
}
