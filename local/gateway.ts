import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { type Backend, type BackendKind, openPglite, openPostgres } from "./backends";
import { jsonToPgParam, pgTextToJson } from "./pg-text";

export interface GatewayOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to loopback. */
  host?: string;
  /** A postgres:// URL runs the statements on that PostgreSQL; without it, on embedded PGlite. */
  databaseUrl?: string;
  /** Where PGlite keeps its files; in memory without it. */
  dataDir?: string;
  /** Apply ./migrations (drizzle-kit output) before serving. */
  migrate?: boolean;
}

export interface GatewayStats {
  /** POST /sql requests received. */
  requests: number;
  /** Statements that completed, by command (INSERT, SELECT, BEGIN, ...), batch BEGIN/COMMIT included. */
  statements: Record<string, number>;
  /** Statements that failed, by SQLSTATE. */
  errors: Record<string, number>;
  /** The backend's connection pool. */
  connections: { total: number; idle: number; waiting: number };
}

export interface NeonGateway {
  /** The value for `neonConfig.fetchEndpoint`. */
  url: string;
  port: number;
  backend: BackendKind;
  stats(): GatewayStats;
  close(): Promise<void>;
}

// Neon's proxy limits (sql_over_http_max_request_size_bytes / _max_response_size_bytes).
const maxRequestBytes = 10 * 1024 * 1024;
const maxResponseBytes = 10 * 1024 * 1024;

const isolationLevels: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

const corsHeaders = {
  Allow: "OPTIONS, POST",
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, " +
    "Neon-Batch-Read-Only, Neon-Batch-Isolation-Level, Neon-Batch-Deferrable",
  "Access-Control-Max-Age": "86400",
};

interface QueryData {
  query: string;
  params: (string | null)[];
  arrayMode: boolean | undefined;
}

interface RequestOptions {
  rawOutput: boolean;
  arrayMode: boolean;
  isolationLevel: string | undefined;
  readOnly: boolean;
  deferrable: boolean;
}

/** A failure answered with Neon's error body and no SQLSTATE (bad request, body too large, ...). */
class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The caller disconnected: nothing can be answered any more. */
class ClientGone extends Error {}

type DatabaseError = Error & { code: string } & Partial<Record<(typeof databaseErrorFields)[number], string>>;

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

// Errors from PostgreSQL carry a SQLSTATE and a severity; socket errors ("EPIPE") have a code only.
function isDatabaseError(err: unknown): err is DatabaseError {
  const { code, severity } = (err ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}

export async function startNeonGateway(options: GatewayOptions = {}): Promise<NeonGateway> {
  const backend = options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite(options.dataDir);
  try {
    if (options.migrate) await backend.migrate();
    return await serve(backend, options.port ?? 0, options.host ?? "127.0.0.1");
  } catch (err) {
    await backend.close();
    throw err;
  }
}

async function serve(backend: Backend, port: number, host: string): Promise<NeonGateway> {
  const counters = { requests: 0, statements: {} as Record<string, number>, errors: {} as Record<string, number> };
  const inFlight = new Set<AbortController>();
  const count = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const stats = (): GatewayStats => ({
    requests: counters.requests,
    statements: { ...counters.statements },
    errors: { ...counters.errors },
    connections: { total: backend.pool.totalCount, idle: backend.pool.idleCount, waiting: backend.pool.waitingCount },
  });

  async function execute(client: pg.PoolClient, query: QueryData, options: RequestOptions) {
    let result: pg.QueryArrayResult<unknown[]>;
    try {
      // Extended protocol, as Neon's proxy uses: several statements in one query fail with 42601.
      const config = { text: query.query, values: query.params, rowMode: "array", queryMode: "extended" };
      result = await client.query(config as pg.QueryArrayConfig);
    } catch (err) {
      if (isDatabaseError(err)) count(counters.errors, err.code);
      throw err;
    }
    const command = result.command ?? ""; // an empty query has no command tag
    count(counters.statements, command);
    const fields = result.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    }));
    const arrayMode = query.arrayMode ?? options.arrayMode;
    const toValue = (cell: unknown, i: number) =>
      cell === null || options.rawOutput ? cell : pgTextToJson(cell as string, fields[i]!.dataTypeID);
    const rows = result.rows.map((row) =>
      arrayMode ? row.map(toValue) : Object.fromEntries(row.map((cell, i) => [fields[i]!.name, toValue(cell, i)])),
    );
    return { fields, rows, command, rowCount: result.rowCount, rowAsArray: arrayMode };
  }

  async function runBatch(client: pg.PoolClient, queries: QueryData[], options: RequestOptions, signal: AbortSignal) {
    const control = (text: string) => execute(client, { query: text, params: [], arrayMode: true }, options);
    const begin = ["BEGIN"];
    if (options.isolationLevel) begin.push("ISOLATION LEVEL", isolationLevels[options.isolationLevel]!);
    if (options.readOnly) begin.push("READ ONLY");
    if (options.deferrable) begin.push("DEFERRABLE");
    await control(begin.join(" "));
    try {
      const results = [];
      for (const query of queries) {
        if (signal.aborted) throw new ClientGone();
        results.push(await execute(client, query, options));
      }
      await control("COMMIT");
      return { results };
    } catch (err) {
      // The statement's error is the answer; a failed ROLLBACK only means the connection is not reusable,
      // which withConnection sees from the transaction status.
      await control("ROLLBACK").catch(() => {});
      throw err;
    }
  }

  /** Runs `work` on a pooled connection; a caller that disconnects gets its running statement cancelled. */
  async function withConnection<T>(signal: AbortSignal, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await backend.pool.connect();
    } catch (err) {
      if (isDatabaseError(err)) throw err;
      throw new GatewayError(500, `could not connect to the database: ${(err as Error).message}`);
    }
    // A caller may have left while its request waited (PGlite blocks the event loop during each statement),
    // and its socket's end is read only in a later poll phase: two turns of the loop let it show before any
    // statement runs for nobody.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    let cancelling: Promise<void> | undefined;
    const cancel = () => {
      cancelling = backend.cancel(client).catch(() => {});
    };
    let broken: Error | undefined;
    try {
      if (signal.aborted) throw new ClientGone(); // gave up while waiting for a connection
      signal.addEventListener("abort", cancel, { once: true });
      return await work(client);
    } catch (err) {
      // After a statement's error the session goes on, unless the error ended it (FATAL, such as 57P01 when
      // the backend is terminated) or came from the connection itself: such a connection is dropped.
      const sessionEnded = isDatabaseError(err)
        ? err.severity === "FATAL" || err.severity === "PANIC"
        : !(err instanceof ClientGone);
      if (sessionEnded) broken = err as Error;
      throw err;
    } finally {
      signal.removeEventListener("abort", cancel);
      await cancelling; // the cancel must land before the connection serves anyone else
      // A lone BEGIN, or a failed ROLLBACK, leaves the session inside a transaction: like Neon, never hand such
      // a connection to another caller (null: no statement ran yet on a new PGlite connection).
      const status = client.getTransactionStatus();
      if (status !== "I" && status !== null) broken ??= new Error("connection left inside a transaction");
      client.release(broken);
    }
  }

  async function handleSql(req: IncomingMessage, res: ServerResponse, signal: AbortSignal) {
    counters.requests++;
    const options = parseHeaders(req);
    const payload = parsePayload(await readBody(req));
    const batchHeaders: Record<string, string> = {};
    if ("queries" in payload) {
      if (options.isolationLevel) batchHeaders["Neon-Batch-Isolation-Level"] = options.isolationLevel;
      if (options.readOnly) batchHeaders["Neon-Batch-Read-Only"] = "true";
      if (options.deferrable) batchHeaders["Neon-Batch-Deferrable"] = "true";
    }
    const result = await withConnection<object>(signal, (client) =>
      "queries" in payload ? runBatch(client, payload.queries, options, signal) : execute(client, payload, options),
    );
    const body = JSON.stringify(result);
    if (Buffer.byteLength(body) > maxResponseBytes) {
      throw new GatewayError(507, `response is too large (max is ${maxResponseBytes} bytes)`);
    }
    send(res, 200, body, batchHeaders);
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    if (path === "/sql" && req.method === "OPTIONS") return void res.writeHead(200, corsHeaders).end();
    if (path === "/stats" && req.method === "GET") return send(res, 200, JSON.stringify(stats()));
    if (path !== "/sql" || req.method !== "POST") return send(res, 400, JSON.stringify("query is not supported"));

    const controller = new AbortController();
    inFlight.add(controller);
    const abortIfUnanswered = () => {
      if (!res.writableFinished) controller.abort();
    };
    // The client's FIN ("end") comes before the socket's close: the earlier a departure is seen, the less runs for nobody.
    req.socket.on("end", abortIfUnanswered);
    res.on("close", () => {
      abortIfUnanswered();
      req.socket.off("end", abortIfUnanswered);
      inFlight.delete(controller);
    });
    try {
      await handleSql(req, res, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) return; // the client left (mid-body, mid-query): nobody to answer
      if (isDatabaseError(err)) return send(res, 400, errorBody(err.message, err));
      if (err instanceof GatewayError) return send(res, err.status, errorBody(err.message));
      console.error("neon gateway: unexpected failure", err);
      send(res, 500, errorBody(`internal error: ${(err as Error).message}`));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}/sql`,
    port: address.port,
    backend: backend.kind,
    stats,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections(); // idle keep-alive sockets would otherwise hold close() open
        for (const controller of inFlight) controller.abort(); // cancels their statements
        await closed;
        await backend.close();
      })()),
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Access-Control-Allow-Origin": "*",
    ...headers,
  });
  res.end(body);
}

/**
 * Neon's error body: `message` plus the 16 other keys, null where absent. Like the proxy, an error that did
 * not come from PostgreSQL has an empty `code` and `severity`.
 */
function errorBody(message: string, err?: DatabaseError): string {
  const body: Record<string, string | null> = { message };
  for (const field of databaseErrorFields) body[field] = err ? (err[field] ?? null) : null;
  if (!err) body.code = body.severity = "";
  return JSON.stringify(body);
}

function parseHeaders(req: IncomingMessage): RequestOptions {
  const header = (name: string) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  checkConnectionString(header("Neon-Connection-String"), header("Authorization"));
  const isolationLevel = header("Neon-Batch-Isolation-Level");
  if (isolationLevel !== undefined && !(isolationLevel in isolationLevels)) {
    throw new GatewayError(400, "invalid isolation level");
  }
  // As in the proxy, anything but the exact value "true" means false.
  return {
    rawOutput: header("Neon-Raw-Text-Output") === "true",
    arrayMode: header("Neon-Array-Mode") === "true",
    isolationLevel,
    readOnly: header("Neon-Batch-Read-Only") === "true",
    deferrable: header("Neon-Batch-Deferrable") === "true",
  };
}

// The statements run on the gateway's own database whatever the URL names, but a URL Neon would refuse is
// refused here too, so a broken DATABASE_URL shows up locally rather than after deploying.
function checkConnectionString(value: string | undefined, authorization: string | undefined) {
  if (!value) throw new GatewayError(400, "invalid header: neon-connection-string");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GatewayError(400, "invalid connection string: relative URL without a base");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new GatewayError(400, "incorrect scheme");
  if (url.pathname.length <= 1) throw new GatewayError(400, "missing database name");
  if (!url.username) throw new GatewayError(400, "missing username");
  if (!url.password && !authorization) {
    throw new GatewayError(400, "missing authentication credentials: required password");
  }
  if (!url.hostname) throw new GatewayError(400, "missing hostname");
}

async function readBody(req: IncomingMessage): Promise<string> {
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

function parsePayload(body: string): QueryData | { queries: QueryData[] } {
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
