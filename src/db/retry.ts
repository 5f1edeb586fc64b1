import { DatabaseUnavailableError, isTransient } from "./errors";

const RETRY_JITTER_MS = { min: 50, max: 250 };

const pause = () =>
  new Promise((resolve) =>
    setTimeout(resolve, RETRY_JITTER_MS.min + Math.random() * (RETRY_JITTER_MS.max - RETRY_JITTER_MS.min)),
  );

/**
 * The transient-retry policy, for one database round trip: a failure that may pass (a lost connection,
 * a timeout, a deadlock) is retried once after a short random pause; if it fails transiently again, the
 * database is unavailable. Every other error is thrown as it came, for the query function to classify.
 * Statements sent through here must be safe to repeat: a write that did commit before its answer was
 * lost then reports what the second attempt finds (a create, its own row as existing).
 */
export async function withOneRetry<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if (!isTransient(error)) throw error;
  }
  await pause();
  try {
    return await statement();
  } catch (error) {
    if (isTransient(error)) throw new DatabaseUnavailableError("the database failed twice in a row", { cause: error });
    throw error;
  }
}
