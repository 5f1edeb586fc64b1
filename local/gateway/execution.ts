import { setTimeout as delay } from "node:timers/promises";
import type pg from "pg";
import type { Backend } from "./backends.ts";
import { isolationLevels, type Payload, type QueryData, type RequestOptions } from "./neon-request.ts";
import { GatewayError, isDatabaseError, responseTooLarge } from "./neon-response.ts";
import { pgTextToJson } from "./pg-text.ts";

/** The caller disconnected: nothing can be answered any more. */
export class ClientGone extends Error {}

/** What `GET /stats` reports about requests and statements. */
export class Counters {
  requests = 0;
  statements: Record<string, number> = {};
  errors: Record<string, number> = {};

  statement(command: string) {
    this.statements[command] = (this.statements[command] ?? 0) + 1;
  }

  error(code: string) {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
}

/**
 * Runs a request's query or batch on `backend`; a caller that disconnects gets its running statement cancelled,
 * and a result far over `maxResponseBytes` stops being read.
 */
export function runPayload(
  backend: Backend,
  counters: Counters,
  payload: Payload,
  options: RequestOptions,
  { signal, maxResponseBytes }: { signal: AbortSignal; maxResponseBytes: number },
): Promise<object> {
  return withConnection<object>(backend, signal, async (client) => {
    const session = new Session(client, counters, options);
    // Twice the limit on the wire: the exact check is on the JSON answer, whose size differs a little.
    const incoming = backend.limitIncoming(client, 2 * maxResponseBytes);
    try {
      return await ("queries" in payload ? session.batch(payload.queries, signal) : session.execute(payload));
    } catch (err) {
      throw incoming.exceeded ? responseTooLarge(maxResponseBytes) : err;
    } finally {
      incoming.stop();
    }
  });
}

/** One request's statements on one connection. */
class Session {
  private readonly client: pg.PoolClient;
  private readonly counters: Counters;
  private readonly options: RequestOptions;

  constructor(client: pg.PoolClient, counters: Counters, options: RequestOptions) {
    this.client = client;
    this.counters = counters;
    this.options = options;
  }

  async execute(query: QueryData) {
    let result: pg.QueryArrayResult<unknown[]>;
    try {
      // Extended protocol, as Neon's proxy uses: several statements in one query fail with 42601.
      const config = { text: query.query, values: query.params, rowMode: "array", queryMode: "extended" };
      result = await this.client.query(config as pg.QueryArrayConfig);
    } catch (err) {
      if (isDatabaseError(err)) this.counters.error(err.code);
      throw err;
    }
    const command = result.command ?? ""; // an empty query has no command tag
    this.counters.statement(command);
    const fields = result.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    }));
    const arrayMode = query.arrayMode ?? this.options.arrayMode;
    const toValue = (cell: unknown, i: number) =>
      cell === null || this.options.rawOutput ? cell : pgTextToJson(cell as string, fields[i]!.dataTypeID);
    const rows = result.rows.map((row) =>
      arrayMode ? row.map(toValue) : Object.fromEntries(row.map((cell, i) => [fields[i]!.name, toValue(cell, i)])),
    );
    return { fields, rows, command, rowCount: result.rowCount, rowAsArray: arrayMode };
  }

  async batch(queries: QueryData[], signal: AbortSignal) {
    const control = (text: string) => this.execute({ query: text, params: [], arrayMode: true });
    const { isolationLevel, readOnly, deferrable } = this.options;
    const begin = ["BEGIN"];
    if (isolationLevel) begin.push("ISOLATION LEVEL", isolationLevels[isolationLevel]!);
    if (readOnly) begin.push("READ ONLY");
    if (deferrable) begin.push("DEFERRABLE");
    await control(begin.join(" "));
    try {
      const results = [];
      for (const query of queries) {
        if (signal.aborted) throw new ClientGone();
        results.push(await this.execute(query));
      }
      await control("COMMIT");
      return { results };
    } catch (err) {
      // The statement's error is the answer; a failed ROLLBACK is retried when the session is reset.
      await control("ROLLBACK").catch(() => {});
      throw err;
    }
  }
}

/**
 * Why the backend could not be reached, in a few words an operator can act on (`connection refused
 * 127.0.0.1:5432`, `timeout`): node-postgres's messages name the address, never the password.
 */
function whyUnreachable(err: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }): string {
  if (err.code === "ECONNREFUSED") return `connection refused ${err.address}:${err.port}`;
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return `host not found ${err.hostname}`;
  if (err.code === "ETIMEDOUT" || /timeout/i.test(err.message)) return "timeout";
  if (err.code === "ECONNRESET") return "connection reset";
  return err.message;
}

const CANCEL_REPEAT_MS = 200;

/** Runs `work` on a pooled connection; a caller that disconnects gets its running statement cancelled. */
async function withConnection<T>(backend: Backend, signal: AbortSignal, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await backend.pool.connect();
  } catch (err) {
    if (isDatabaseError(err)) throw err;
    throw new GatewayError(500, `Couldn't connect to compute node: ${whyUnreachable(err as NodeJS.ErrnoException)}`);
  }
  // A caller may have left while its request waited (PGlite blocks the event loop during each statement),
  // and its socket's end is read only in a later poll phase: two turns of the loop let it show before any
  // statement runs for nobody.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  const workEnded = new AbortController();
  let cancelling: Promise<void> | undefined;
  const cancel = () => {
    cancelling = (async () => {
      // PostgreSQL ignores a cancel that reaches a session before its statement does (the session is still
      // reading input), and the statement then runs to its end: so cancel again until the work has ended.
      while (!workEnded.signal.aborted) {
        await backend.cancel(client).catch(() => {});
        await delay(CANCEL_REPEAT_MS, undefined, { signal: workEnded.signal }).catch(() => {});
      }
    })();
  };
  let broken: Error | undefined;
  let used = false;
  try {
    if (signal.aborted) throw new ClientGone(); // gave up while waiting for a connection
    signal.addEventListener("abort", cancel, { once: true });
    used = true;
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
    workEnded.abort();
    await cancelling; // the cancel must land before the connection serves anyone else
    if (used && !broken) broken = await resetSession(client, backend.sessionReset);
    client.release(broken);
  }
}

/**
 * Leaves the session as a new one would be, so nothing of one request reaches the next: no open transaction
 * (a lone BEGIN), settings, session authorization or role, temporary tables, prepared statements, cursors,
 * advisory locks. Dropping the connection would not do on PGlite, whose single session outlives any
 * connection to it. The error, if any, means the connection is not reusable.
 */
async function resetSession(client: pg.PoolClient, statements: string[]): Promise<Error | undefined> {
  try {
    if (client.getTransactionStatus() !== "I") await client.query("ROLLBACK");
    for (const statement of statements) await client.query(statement);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
