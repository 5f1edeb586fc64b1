import type { ServerResponse } from "node:http";

/** A failure answered with Neon's error body and no SQLSTATE (bad request, body too large, ...). */
export class GatewayError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

// The 16 fields Neon sends beside `message`, in its order; the driver copies them onto NeonDbError.
const databaseErrorFields = [
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "severity",
  "where",
  "table",
  "column",
  "schema",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

export type DatabaseError = Error & { code: string } & Partial<Record<(typeof databaseErrorFields)[number], string>>;

// Errors from PostgreSQL carry a SQLSTATE and a severity; socket errors ("EPIPE") have a code only.
export function isDatabaseError(err: unknown): err is DatabaseError {
  const { code, severity } = (err ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}

/**
 * Neon's error body: `message` plus the 16 other keys, null where absent. Like the proxy, an error that did
 * not come from PostgreSQL has an empty `code` and `severity`.
 */
export function errorBody(message: string, err?: DatabaseError): string {
  const body: Record<string, string | null> = { message };
  for (const field of databaseErrorFields) body[field] = err ? (err[field] ?? null) : null;
  if (!err) body.code = body.severity = "";
  return JSON.stringify(body);
}

export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(body);
}

/** Neon's answer to a result over its response limit. */
export const responseTooLarge = (maxBytes: number) =>
  new GatewayError(507, `response is too large (max is ${maxBytes} bytes)`);
