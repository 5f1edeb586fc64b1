// The wire format itself, request by request, as Neon's SQL-over-HTTP proxy defines it.
import { once } from "node:events";
import { connect } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { connectionString, driverHeaders, errorKeys, postSql, startTestGateway } from "../support/node/gateway-fixture";

const { gateway, createTable } = await startTestGateway();

/** The parts of a success or error body these tests read. */
interface NeonBody {
  message: string;
  fields: { tableID: number }[];
  rows: unknown[];
  rowAsArray: boolean;
  results: { rows: unknown[] }[];
}

const post = (body: unknown, headers?: Record<string, string>) => postSql<NeonBody>(gateway.url, body, headers);

describe("POST /sql", () => {
  it("answers a single query with fields, text rows, command and rowCount", async () => {
    const name = await createTable("shape", "id int4 primary key, label varchar(20)");
    const { response, json } = await post({ query: `INSERT INTO ${name} VALUES ($1, $2) RETURNING *`, params: ["7", "seven"] });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(json).toEqual({
      fields: [
        { name: "id", dataTypeID: 23, tableID: expect.any(Number), columnID: 1, dataTypeSize: 4, dataTypeModifier: -1, format: "text" },
        { name: "label", dataTypeID: 1043, tableID: expect.any(Number), columnID: 2, dataTypeSize: -1, dataTypeModifier: 24, format: "text" },
      ],
      rows: [["7", "seven"]],
      command: "INSERT",
      rowCount: 1,
      rowAsArray: true,
    });
    expect(json.fields[0]?.tableID).toBeGreaterThan(0);
  });

  it("gives Postgres's exact text output", async () => {
    const { json } = await post({
      query:
        "SELECT true, 1.50::numeric, 0.1::float8, 'NaN'::float8, '{\"b\": 1, \"a\": [1]}'::jsonb, '\\x00ff'::bytea, " +
        "'2024-01-02 03:04:05.5+02'::timestamptz AT TIME ZONE 'UTC', '{{1,2},{3,NULL}}'::int[], " +
        "ARRAY['a b', 'c\"d', NULL, '']::text[], '90 minutes'::interval, NULL::text",
    });
    expect(json.rows).toEqual([
      ["t", "1.50", "0.1", "NaN", '{"a": [1], "b": 1}', "\\x00ff", "2024-01-02 01:04:05.5", "{{1,2},{3,NULL}}",
        '{"a b","c\\"d",NULL,""}', "01:30:00", null],
    ]);
  });

  it("turns non-string JSON parameters into Postgres text, as the proxy does", async () => {
    const { json } = await post({
      query: "SELECT $1::int, $2::bool, $3::jsonb, $4::int[], $5::text[], $6::jsonb[], $7::text",
      params: [42, true, { k: "v" }, [[1, 2], [3, null]], ["x,y", 'q"uote'], [{ a: 1 }], null],
    });
    expect(json.rows).toEqual([["42", "t", '{"k": "v"}', "{{1,2},{3,NULL}}", '{"x,y","q\\"uote"}', '{"{\\"a\\": 1}"}', null]]);
  });

  it("uses the extended protocol: two statements in one query fail with 42601", async () => {
    const { response, json } = await post({ query: "SELECT 1; SELECT 2" });
    expect(response.status).toBe(400);
    expect(json).toMatchObject({ code: "42601", message: "cannot insert multiple commands into a prepared statement" });
  });

  it("answers a database error with HTTP 400 and all 17 keys, position and line as strings", async () => {
    const { response, json } = await post({ query: "SELECT nope FROM pg_class" });
    expect(response.status).toBe(400);
    expect(Object.keys(json)).toEqual(errorKeys);
    expect(json).toMatchObject({
      message: 'column "nope" does not exist',
      code: "42703",
      severity: "ERROR",
      position: "8",
      line: expect.stringMatching(/^\d+$/),
      file: expect.any(String),
      routine: expect.any(String),
      detail: null,
      constraint: null,
    });
  });

  it("answers an empty query with an empty command", async () => {
    const { json } = await post({ query: "" });
    expect(json).toMatchObject({ fields: [], rows: [], command: "", rowCount: null });
  });

  it("converts values to JSON and rows to objects without the raw-text and array-mode headers", async () => {
    const { json } = await post(
      {
        query:
          "SELECT 1::int2 AS i, 2::int8 AS big, 1.5::float4 AS f, 'Infinity'::float8 AS inf, false AS b, " +
          "'{\"k\": [1]}'::json AS j, '{1,NULL}'::int[] AS ia, '{\"a,b\",c}'::text[] AS ta, '{t,f}'::bool[] AS ba, " +
          "'2024-01-01'::date AS d, NULL::int AS n, '[0:1]={x,y}'::text[] AS bounded, " +
          "'{{\"a\\\"b\",NULL},{\"\",\"NULL\"}}'::text[] AS nested",
      },
      { "Neon-Connection-String": connectionString },
    );
    expect(json.rowAsArray).toBe(false);
    expect(json.rows).toEqual([
      {
        i: 1, big: "2", f: 1.5, inf: "Infinity", b: false, j: { k: [1] }, ia: [1, null], ta: ["a,b", "c"],
        ba: [true, false], d: "2024-01-01", n: null, bounded: ["x", "y"], nested: [['a"b', null], ["", "NULL"]],
      },
    ]);
    const { json: perQuery } = await post({ query: "SELECT 1 AS one", arrayMode: false });
    expect(perQuery).toMatchObject({ rows: [{ one: "1" }], rowAsArray: false });
  });
});

describe("POST /sql batch", () => {
  it("answers {results: [...]} and echoes the transaction options", async () => {
    const { response, json } = await post(
      { queries: [{ query: "SHOW transaction_isolation" }, { query: "SELECT $1::int + 1 AS n", params: ["1"] }] },
      {
        ...driverHeaders,
        "Neon-Batch-Isolation-Level": "RepeatableRead",
        "Neon-Batch-Read-Only": "true",
        "Neon-Batch-Deferrable": "true",
      },
    );
    expect(response.status).toBe(200);
    expect(json.results.map((r) => r.rows)).toEqual([[["repeatable read"]], [["2"]]]);
    expect(response.headers.get("neon-batch-isolation-level")).toBe("RepeatableRead");
    expect(response.headers.get("neon-batch-read-only")).toBe("true");
    expect(response.headers.get("neon-batch-deferrable")).toBe("true");
  });

  it("echoes read-only and deferrable only when true, and none of them for a single query", async () => {
    const falses = { ...driverHeaders, "Neon-Batch-Read-Only": "false", "Neon-Batch-Deferrable": "false" };
    const { response: batch } = await post({ queries: [{ query: "SELECT 1" }] }, falses);
    expect(batch.headers.get("neon-batch-read-only")).toBeNull();
    expect(batch.headers.get("neon-batch-deferrable")).toBeNull();
    const { response: single } = await post({ query: "SELECT 1" }, { ...falses, "Neon-Batch-Isolation-Level": "Serializable" });
    expect(single.headers.get("neon-batch-isolation-level")).toBeNull();
  });

  it("rolls the whole batch back on an error and answers that error", async () => {
    const name = await createTable("batch", "id int primary key");
    const { response, json } = await post({
      queries: [{ query: `INSERT INTO ${name} VALUES (1)` }, { query: `INSERT INTO ${name} VALUES (1)` }],
    });
    expect(response.status).toBe(400);
    expect(json).toMatchObject({ code: "23505", constraint: `${name}_pkey` });
    const { json: after } = await post({ query: `SELECT count(*) FROM ${name}` });
    expect(after.rows).toEqual([["0"]]);
  });
});

describe("other requests", () => {
  it("answers 400 to any other path or method", async () => {
    const origin = new URL(gateway.url).origin;
    for (const [method, path] of [["GET", "/sql"], ["PUT", "/sql"], ["POST", "/"], ["POST", "/sql/extra"], ["GET", "/v2"]]) {
      const response = await fetch(origin + path, { method });
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(await response.json()).toBe("query is not supported");
    }
  });

  it("answers 507 to a response over 10 MiB", async () => {
    const { response, json } = await post({ query: "SELECT repeat('x', 10 * 1024 * 1024) AS big" });
    expect(response.status).toBe(507);
    expect(json.message).toBe("response is too large (max is 10485760 bytes)");
  });

  it("answers 413 to a body over 10 MiB, and keeps serving", async () => {
    const big = JSON.stringify({ query: "SELECT $1::text IS NOT NULL", params: ["x".repeat(10 * 1024 * 1024)] });
    const { response, json } = await post(big);
    expect(response.status).toBe(413);
    expect(json.message).toBe("request is too large (max is 10485760 bytes)");
    const { json: next } = await post({ query: "SELECT 1" });
    expect(next.rows).toEqual([["1"]]);
  });

  it("shrugs off a client that disconnects halfway through its body", async () => {
    const errors = vi.spyOn(console, "error");
    const before = gateway.stats().requests;
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      `POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nNeon-Connection-String: ${connectionString}\r\nContent-Length: 100\r\n\r\n{"query":`,
    );
    await expect.poll(() => gateway.stats().requests).toBe(before + 1); // headers read, body awaited
    socket.resetAndDestroy(); // RST: the body read fails rather than ends
    await once(socket, "close");
    const { json } = await post({ query: "SELECT 1" });
    expect(json.rows).toEqual([["1"]]);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it.each([
    ["malformed JSON", "{nope", "could not parse the HTTP request body: "],
    ["an empty body", "", "could not parse the HTTP request body: "],
    ["no query", {}, "could not parse the HTTP request body: body.query must be a string"],
    ["a query that is not a string", { query: 1 }, "could not parse the HTTP request body: body.query must be a string"],
    ["params that are not an array", { query: "SELECT 1", params: "1" }, "could not parse the HTTP request body: body.params must be an array"],
    ["a batch that is not an array", { queries: { query: "SELECT 1" } }, "could not parse the HTTP request body: queries must be an array"],
    ["a batch item without a query", { queries: [{ query: "SELECT 1" }, {}] }, "could not parse the HTTP request body: queries[1].query must be a string"],
    ["a batch item that is not an object", { queries: ["SELECT 1"] }, "could not parse the HTTP request body: queries[0] is not an object"],
    ["a JSON array", [1], "could not parse the HTTP request body: body is not an object"],
    ["JSON null", "null", "could not parse the HTTP request body: body is not an object"],
  ])("answers 400 in Neon's error shape to %s", async (_case, body, message) => {
    const before = gateway.stats();
    const { response, json } = await post(body);
    expect(response.status).toBe(400);
    expect(Object.keys(json)).toEqual(errorKeys);
    expect(json.message).toContain(message);
    expect(json).toMatchObject({ code: "", severity: "", detail: null, table: null });
    expect(gateway.stats().statements).toEqual(before.statements); // nothing ran
  });

  it.each([
    ["no connection string", {}, "invalid header: neon-connection-string"],
    ["a connection string that is not a URL", { "Neon-Connection-String": "localhost/app" }, "invalid connection string"],
    ["another scheme", { "Neon-Connection-String": "mysql://app:app@localhost/app" }, "incorrect scheme"],
    ["no database name", { "Neon-Connection-String": "postgresql://app:app@localhost" }, "missing database name"],
    ["no password", { "Neon-Connection-String": "postgresql://app@localhost/app" }, "missing authentication credentials"],
    ["an unknown isolation level", { ...driverHeaders, "Neon-Batch-Isolation-Level": "Chaos" }, "invalid isolation level"],
  ])("answers 400 to %s", async (_case, headers, message) => {
    const { response, json } = await post({ query: "SELECT 1" }, headers);
    expect(response.status).toBe(400);
    expect(json.message).toContain(message);
    expect(Object.keys(json)).toEqual(errorKeys);
  });
});

describe("counters", () => {
  it("counts requests, statements by command and errors by SQLSTATE, also on GET /stats", async () => {
    const name = await createTable("counted", "id int primary key");
    const before = gateway.stats();
    await post({ query: `INSERT INTO ${name} VALUES (1)` });
    await post({ query: `INSERT INTO ${name} VALUES (1)` });
    await post({ queries: [{ query: `SELECT * FROM ${name}` }, { query: `DELETE FROM ${name}` }] });
    const reported = await fetch(new URL("/stats", gateway.url), { headers: { "Neon-Connection-String": connectionString } });
    const after = (await reported.json()) as typeof before;
    expect(after).toEqual(gateway.stats());
    const delta = (now: Record<string, number>, then: Record<string, number>, key: string) => (now[key] ?? 0) - (then[key] ?? 0);
    expect(after.requests - before.requests).toBe(3);
    for (const [command, n] of Object.entries({ INSERT: 1, SELECT: 1, DELETE: 1, BEGIN: 1, COMMIT: 1 })) {
      expect(delta(after.statements, before.statements, command), command).toBe(n);
    }
    expect(delta(after.errors, before.errors, "23505")).toBe(1);
    expect(after.connections).toMatchObject({ waiting: 0 });
    expect(after.connections.idle).toBe(after.connections.total);
  });
});
