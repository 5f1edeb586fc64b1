import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Backend, type BackendKind, openPglite, openPostgres } from "./backends";
import { gatewayCredentials, refusalOf } from "./connection-string";
import { Counters, runPayload } from "./execution";
import { parseHeaders, parsePayload, readBody, type RequestOptions } from "./neon-request";
import { errorBody, GatewayError, isDatabaseError, send } from "./neon-response";

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
  /**
   * The only connection string accepted from clients (its user, password, host and database; query
   * parameters and port are ignored, as on Neon). Without it, one with a random password is made up.
   */
  connectionString?: string;
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
  /** What clients must pass to `neon()` (a worker's DATABASE_URL); it holds the password. */
  connectionString: string;
  port: number;
  backend: BackendKind;
  stats(): GatewayStats;
  close(): Promise<void>;
}

// Neon's proxy limit (sql_over_http_max_response_size_bytes).
const maxResponseBytes = 10 * 1024 * 1024;

const corsHeaders = {
  Allow: "OPTIONS, POST",
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, " +
    "Neon-Batch-Read-Only, Neon-Batch-Isolation-Level, Neon-Batch-Deferrable",
  "Access-Control-Max-Age": "86400",
};

export async function startNeonGateway(options: GatewayOptions = {}): Promise<NeonGateway> {
  const accepted = gatewayCredentials(options.connectionString); // a bad one fails before anything opens
  const backend = options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite(options.dataDir);
  try {
    if (options.migrate) await backend.migrate();
    return await serve(backend, accepted, options.port ?? 0, options.host ?? "127.0.0.1");
  } catch (err) {
    await backend.close();
    throw err;
  }
}

/** The batch options the proxy echoes in its response headers. */
function echoedBatchHeaders(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.isolationLevel) headers["Neon-Batch-Isolation-Level"] = options.isolationLevel;
  if (options.readOnly) headers["Neon-Batch-Read-Only"] = "true";
  if (options.deferrable) headers["Neon-Batch-Deferrable"] = "true";
  return headers;
}

/** Answers a failed request in Neon's error shape; nothing when the caller already left. */
function sendFailure(res: ServerResponse, err: unknown) {
  if (isDatabaseError(err)) return send(res, 400, errorBody(err.message, err));
  if (err instanceof GatewayError) return send(res, err.status, errorBody(err.message));
  console.error("neon gateway: unexpected failure", err);
  send(res, 500, errorBody(`internal error: ${(err as Error).message}`));
}

/**
 * An AbortController that fires when the HTTP caller goes away before its answer is written, tracked in
 * `inFlight` until the exchange ends.
 */
function abortOnDeparture(req: IncomingMessage, res: ServerResponse, inFlight: Set<AbortController>): AbortSignal {
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
  return controller.signal;
}

async function serve(
  backend: Backend,
  accepted: ReturnType<typeof gatewayCredentials>,
  port: number,
  host: string,
): Promise<NeonGateway> {
  const counters = new Counters();
  const inFlight = new Set<AbortController>();
  const stats = (): GatewayStats => ({
    requests: counters.requests,
    statements: { ...counters.statements },
    errors: { ...counters.errors },
    connections: { total: backend.pool.totalCount, idle: backend.pool.idleCount, waiting: backend.pool.waitingCount },
  });

  async function handleSql(req: IncomingMessage, res: ServerResponse, signal: AbortSignal) {
    counters.requests++;
    const options = parseHeaders(req);
    const refusal = refusalOf(options.connection, accepted.credentials);
    if (refusal) {
      counters.error(refusal.code);
      throw refusal;
    }
    const payload = parsePayload(await readBody(req));
    const result = await runPayload(backend, counters, payload, options, signal);
    const body = JSON.stringify(result);
    if (Buffer.byteLength(body) > maxResponseBytes) {
      throw new GatewayError(507, `response is too large (max is ${maxResponseBytes} bytes)`);
    }
    send(res, 200, body, "queries" in payload ? echoedBatchHeaders(options) : {});
  }

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    if (path === "/sql" && req.method === "OPTIONS") return void res.writeHead(200, corsHeaders).end();
    if (path === "/stats" && req.method === "GET") return send(res, 200, JSON.stringify(stats()));
    if (path !== "/sql" || req.method !== "POST") return send(res, 400, JSON.stringify("query is not supported"));

    const signal = abortOnDeparture(req, res, inFlight);
    try {
      await handleSql(req, res, signal);
    } catch (err) {
      if (!signal.aborted) sendFailure(res, err); // once the client left (mid-body, mid-query), nobody to answer
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
    connectionString: accepted.connectionString,
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
