// Classifies errors thrown by the Neon driver and Drizzle. The SQLSTATE sits at different depths
// depending on the call (Drizzle wraps it in `cause`, `db.batch` does not), so the `cause` chain is walked.

const MAX_CAUSE_DEPTH = 8;

// Postgres SQLSTATE classes: two digits, or F0, HV, P0, XX. This keeps system codes such as "EPIPE" out.
const SQLSTATE = /^(?:[0-5][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

// 57P01 admin shutdown, 57P03 cannot connect now, 53300 too many connections, 40001 serialization failure,
// 40P01 deadlock; class 08 is connection exceptions.
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P03", "53300", "40001", "40P01"]);

// Statuses of Neon's proxy that say nothing about the query itself (507 is a response too large: permanent).
const SERVER_ERROR = /^Server error \(HTTP status (5(?!07)\d\d)\)/;

export type DatabaseErrorFields = { code: string; constraint?: string };

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
    const { code, constraint } = link as { code?: unknown; constraint?: unknown };
    if (typeof code === "string" && SQLSTATE.test(code)) {
      return typeof constraint === "string" ? { code, constraint } : { code };
    }
  }
  return undefined;
}

export function sqlState(error: unknown): string | undefined {
  return findDatabaseError(error)?.code;
}

/** The constraint named by a unique violation (23505), or undefined for any other error. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const found = findDatabaseError(error);
  return found?.code === "23505" ? found.constraint : undefined;
}

// The driver reports an unreachable or failing endpoint as a NeonDbError without a code: `sourceError`
// holds the rejected fetch. A timeout while the body is read surfaces as the abort reason itself.
function isConnectionFailure(link: object): boolean {
  const { name, message, sourceError } = link as { name?: unknown; message?: unknown; sourceError?: unknown };
  if (name === "TimeoutError" || name === "AbortError") return true;
  if (name !== "NeonDbError") return false;
  return sourceError !== undefined || (typeof message === "string" && SERVER_ERROR.test(message));
}

/** Worth one retry: the same statement may well succeed a moment later. */
export function isTransient(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined) return code.startsWith("08") || TRANSIENT_SQLSTATES.has(code);
  for (const link of causeChain(error)) if (isConnectionFailure(link)) return true;
  return false;
}

const RETRY_JITTER_MS = { min: 50, max: 250 };

/** Runs `operation`, and once more after a short random pause if it failed transiently. */
export async function retryTransient<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!isTransient(error)) throw error;
    const pause = RETRY_JITTER_MS.min + Math.random() * (RETRY_JITTER_MS.max - RETRY_JITTER_MS.min);
    await new Promise((resolve) => setTimeout(resolve, pause));
    return operation();
  }
}
