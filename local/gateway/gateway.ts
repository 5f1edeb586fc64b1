import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Backend, type BackendKind, openPglite, openPostgres } from "./backends.ts";
import type { Credentials } from "./connection-string.ts";
import { gatewayCredentials, refusalOf } from "./connection-string.ts";
import { Counters, runPayload } from "./execution.ts";
import { isLoopbackName } from "./loopback.ts";
import { connectionOf, parseHeaders, parsePayload, readBody, type RequestOptions } from "./neon-request.ts";
import { errorBody, GatewayError, isDatabaseError, responseTooLarge, send } from "./neon-response.ts";

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
  /** Answer browsers' CORS preflights and allow any origin, as Neon does; off by default (see README). */
  cors?: boolean;
  /** Largest response body, as Neon's proxy limits it (default 10 MiB); a larger result answers 507. */
  maxResponseBytes?: number;
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

const corsHeaders = {
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
    return await serve(backend, {
      ...accepted,
      port: options.port ?? 0,
      host: options.host ?? "127.0.0.1",
      cors: options.cors ?? false,
      // Neon's proxy limit (sql_over_http_max_response_size_bytes).
      maxResponseBytes: options.maxResponseBytes ?? 10 * 1024 * 1024,
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
}

interface ServeSettings {
  connectionString: string;
  credentials: Credentials;
  port: number;
  host: string;
  cors: boolean;
  maxResponseBytes: number;
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
  send(res, 500, errorBody(`internal error: ${(err as Error)?.message ?? String(err)}`));
}

// The whole Host value: a name or a bracketed IPv6 address, then an optional port, and nothing else (a
// value such as "evil.example@localhost" would read as "localhost" to a URL parser).
const HOST_VALUE = /^(?<name>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/**
 * A web page can make the browser send requests to this port under a name it controls (DNS rebinding):
 * only requests with exactly one Host header, naming a loopback name or the address the gateway listens
 * on, are answered.
 */
function checkHost(req: IncomingMessage, listenHost: string) {
  const hosts = req.headersDistinct.host ?? [];
  const name = hosts.length === 1 ? HOST_VALUE.exec(hosts[0]!)?.groups?.name : undefined;
  const listenName = listenHost.includes(":") ? `[${listenHost}]` : listenHost;
  if (name === undefined || (!isLoopbackName(name) && name.toLowerCase() !== listenName.toLowerCase())) {
    const shown = hosts.length === 1 ? JSON.stringify(hosts[0]!.slice(0, 100)) : `(${hosts.length} values)`;
    throw new GatewayError(403, `refused: the Host header ${shown} is not a loopback name`);
  }
}

/**
 * The request's path. Only origin-form targets ("/sql?…") are served: an absolute-form one
 * ("http://elsewhere/sql") names another server, which this one is not.
 */
function pathOf(req: IncomingMessage): string {
  const target = req.url ?? "";
  if (!target.startsWith("/")) throw new GatewayError(400, "refused: the request target must be a path (origin-form)");
  return target.split("?")[0]!;
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

async function serve(backend: Backend, settings: ServeSettings): Promise<NeonGateway> {
  const counters = new Counters();
  const inFlight = new Set<AbortController>();
  const stats = (): GatewayStats => ({
    requests: counters.requests,
    statements: { ...counters.statements },
    errors: { ...counters.errors },
    connections: { total: backend.pool.totalCount, idle: backend.pool.idleCount, waiting: backend.pool.waitingCount },
  });

  /** Neon's refusal, counted, unless `connection` is the accepted connection string. */
  function authorize(connection: URL) {
    const refusal = refusalOf(connection, settings.credentials);
    if (refusal) {
      counters.error(refusal.code);
      throw refusal;
    }
  }

  async function handleSql(req: IncomingMessage, res: ServerResponse, signal: AbortSignal) {
    counters.requests++;
    const options = parseHeaders(req);
    authorize(options.connection);
    const payload = parsePayload(await readBody(req));
    const result = await runPayload(backend, counters, payload, options, { signal, maxResponseBytes: settings.maxResponseBytes });
    let body: string;
    try {
      body = JSON.stringify(result);
    } catch (err) {
      if (err instanceof RangeError) throw responseTooLarge(settings.maxResponseBytes); // beyond a JS string
      throw err;
    }
    if (Buffer.byteLength(body) > settings.maxResponseBytes) throw responseTooLarge(settings.maxResponseBytes);
    send(res, 200, body, "queries" in payload ? echoedBatchHeaders(options) : {});
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    checkHost(req, settings.host);
    if (settings.cors) res.setHeader("Access-Control-Allow-Origin", "*");
    const path = pathOf(req);
    if (path === "/sql" && req.method === "OPTIONS") {
      return void res.writeHead(200, { Allow: "OPTIONS, POST", ...(settings.cors && corsHeaders) }).end();
    }
    if (path === "/stats" && req.method === "GET") {
      authorize(connectionOf(req));
      return send(res, 200, JSON.stringify(stats()));
    }
    if (path !== "/sql" || req.method !== "POST") return send(res, 400, JSON.stringify("query is not supported"));

    const signal = abortOnDeparture(req, res, inFlight);
    try {
      await handleSql(req, res, signal);
    } catch (err) {
      if (!signal.aborted) throw err; // once the client left (mid-body, mid-query), nobody to answer
    }
  }

  // Nothing a request does may end the process: whatever escapes is answered in Neon's error shape.
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => sendFailure(res, err));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}/sql`,
    connectionString: settings.connectionString,
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
