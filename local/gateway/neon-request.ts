import type { IncomingMessage } from "node:http";
import { parseConnectionString } from "./connection-string.ts";
import { GatewayError } from "./neon-response.ts";
import { jsonToPgParam } from "./pg-text.ts";

// Neon's proxy limit (sql_over_http_max_request_size_bytes).
export const maxRequestBytes = 10 * 1024 * 1024;

export const isolationLevels: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

export interface QueryData {
  query: string;
  params: (string | null)[];
  arrayMode: boolean | undefined;
}

export type Payload = QueryData | { queries: QueryData[] };

/** What the request's headers ask for. */
export interface RequestOptions {
  /** The Neon-Connection-String header. */
  connection: URL;
  rawOutput: boolean;
  arrayMode: boolean;
  isolationLevel: string | undefined;
  readOnly: boolean;
  deferrable: boolean;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The connection string the request presents (the Neon-Connection-String header), parsed. */
export function connectionOf(req: IncomingMessage): URL {
  const connectionString = headerOf(req, "Neon-Connection-String");
  if (!connectionString) throw new GatewayError(400, "invalid header: neon-connection-string");
  const connection = parseConnectionString(connectionString, { tokenInstead: headerOf(req, "Authorization") !== undefined });
  if (typeof connection === "string") throw new GatewayError(400, connection);
  return connection;
}

export function parseHeaders(req: IncomingMessage): RequestOptions {
  const header = (name: string) => headerOf(req, name);
  const connection = connectionOf(req);
  const isolationLevel = header("Neon-Batch-Isolation-Level");
  // Own keys only: "__proto__" or "toString" are not isolation levels.
  if (isolationLevel !== undefined && !Object.hasOwn(isolationLevels, isolationLevel)) {
    throw new GatewayError(400, "invalid isolation level");
  }
  // As in the proxy, anything but the exact value "true" means false.
  return {
    connection,
    rawOutput: header("Neon-Raw-Text-Output") === "true",
    arrayMode: header("Neon-Array-Mode") === "true",
    isolationLevel,
    readOnly: header("Neon-Batch-Read-Only") === "true",
    deferrable: header("Neon-Batch-Deferrable") === "true",
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining past the limit so the client can finish sending and read the 413.
    if (size <= maxRequestBytes) chunks.push(chunk);
  }
  if (size > maxRequestBytes) throw new GatewayError(413, `request is too large (max is ${maxRequestBytes} bytes)`);
  return Buffer.concat(chunks).toString("utf8");
}

export function parsePayload(body: string): Payload {
  const invalid = (reason: string) => new GatewayError(400, `could not parse the HTTP request body: ${reason}`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const queryData = (value: unknown, where: string): QueryData => {
    const { query, params = [], arrayMode } = (value ?? {}) as Record<string, unknown>;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`${where} is not an object`);
    if (typeof query !== "string") throw invalid(`${where}.query must be a string`);
    if (!Array.isArray(params)) throw invalid(`${where}.params must be an array`);
    if (arrayMode !== undefined && typeof arrayMode !== "boolean") throw invalid(`${where}.arrayMode must be a boolean`);
    return { query, params: params.map(jsonToPgParam), arrayMode };
  };
  const payload = (json ?? {}) as Record<string, unknown>;
  // Like the proxy: a body with `query` is a single query; otherwise it must be a batch.
  if (typeof json === "object" && json !== null && !Array.isArray(json) && !("query" in payload) && "queries" in payload) {
    if (!Array.isArray(payload.queries)) throw invalid("queries must be an array");
    return { queries: payload.queries.map((q, i) => queryData(q, `queries[${i}]`)) };
  }
  return queryData(json, "body");
}
