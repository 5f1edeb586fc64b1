// Every log line the worker writes: one JSON object per line, always with the request id.
// The one rule for what may be logged: names, codes, numbers and route patterns, never a value that
// came from a caller or a message that may quote one (SQL parameters, tokens, emails, phone numbers).
// `LogFields` lists each field so that nothing else can be passed.
import { MisconfiguredError } from "./config";
import { causeChain, connectionFailure, findDatabaseError } from "./db/errors";

type LogFields = {
  method?: string;
  /** The route pattern, never the path (which holds ids). */
  route?: string;
  status?: number;
  durationMs?: number;
  outcome?: string;
  /** Ids are chosen by the caller's app from a strict alphabet; they name a chat, not a person. */
  clientId?: string;
  /** How many rows a scheduled job removed. */
  removed?: number;
  error?: ErrorSummary;
};

/** What an operator needs to act on a failure, and nothing from the request. */
type ErrorSummary = {
  /** Class names along the cause chain, outermost first. */
  causes: string[];
  sqlstate?: string;
  constraint?: string;
  /** Why the database could not be reached: a timeout, the proxy's HTTP status, the network error. */
  connection?: string;
  /** Settings that are missing or invalid. */
  settings?: string[];
};

export function summarizeError(error: unknown): ErrorSummary {
  const causes = [...causeChain(error)].map((link) => (link instanceof Error ? link.name : "object"));
  const database = findDatabaseError(error);
  const connection = connectionFailure(error);
  return {
    causes,
    ...(database && { sqlstate: database.code, constraint: database.constraint }),
    ...(connection && { connection }),
    ...(error instanceof MisconfiguredError && { settings: error.settings }),
  };
}

const CONSOLE_METHODS = { info: "log", warn: "warn", error: "error" } as const;

export function log(level: keyof typeof CONSOLE_METHODS, message: string, requestId: string, fields: LogFields = {}): void {
  console[CONSOLE_METHODS[level]](JSON.stringify({ level, message, requestId, ...fields }));
}
