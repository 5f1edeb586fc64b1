// What keeps the gateway safe on a developer's machine: no web page can drive it, no request leaves anything
// behind for the next, and no query or header crashes it.
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startNeonGateway } from "../../local/gateway/gateway";
import { connectionString, databaseUrl, driverHeaders, isPostgres, postSql, startTestGateway, uniqueName } from "../support/node/gateway-fixture";

const { gateway, createTable } = await startTestGateway();

interface NeonBody {
  message: string;
  code: string;
  rows: unknown[][];
}
const post = (body: unknown, headers?: Record<string, string>) => postSql<NeonBody>(gateway.url, body, headers);

/** A request with a Host header of our choosing (fetch does not allow setting it). */
function requestWithHost(method: string, path: string, host: string, body?: string) {
  const { port } = new URL(gateway.url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request({ host: "127.0.0.1", port, method, path, headers: { ...driverHeaders, Host: host } }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    outgoing.on("error", reject).end(body);
  });
}

/** Sends `text` as it is to the gateway's port and reads the status line and body of the answer. */
function rawRequest(text: string) {
  const { port } = new URL(gateway.url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    let answer = "";
    // Written, not ended: the gateway takes a client's end of input for its departure. It closes after answering.
    const socket = connect({ host: "127.0.0.1", port: Number(port) }, () => socket.write(text));
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    socket.on("error", reject).on("close", () => {
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), body });
    });
  });
}
const driverHeaderLines = Object.entries(driverHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join("") + "Connection: close\r\n";
const bodyLines = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("browsers", () => {
  it("gives no CORS permission by default", async () => {
    const preflight = await fetch(gateway.url, { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-headers")).toBeNull();
    const { response } = await post({ query: "SELECT 1" }, { ...driverHeaders, Origin: "https://evil.example" });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers CORS like Neon when opted in", { timeout: 30_000 }, async () => {
    const permissive = await startNeonGateway({ port: 0, databaseUrl, connectionString, cors: true });
    try {
      const preflight = await fetch(permissive.url, { method: "OPTIONS" });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      expect(preflight.headers.get("allow")).toBe("OPTIONS, POST");
      expect(preflight.headers.get("access-control-allow-headers")).toContain("Neon-Connection-String");
      expect(preflight.headers.get("access-control-max-age")).toBe("86400");
      const answered = await postSql(permissive.url, { query: "SELECT 1" });
      expect(answered.response.headers.get("access-control-allow-origin")).toBe("*");
      const failed = await postSql(permissive.url, { query: "SELECT nope" });
      expect(failed.response.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await permissive.close();
    }
  });

  it.each(["evil.example", "evil.example:4444", "127.0.0.1.evil.example", "localhost.evil.example:80", "10.0.0.1"])(
    "refuses a request whose Host is %j (DNS rebinding)",
    async (host) => {
      for (const [method, path] of [["POST", "/sql"], ["GET", "/stats"], ["OPTIONS", "/sql"]] as const) {
        const answer = await requestWithHost(method, path, host, method === "POST" ? '{"query":"SELECT 1"}' : undefined);
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(JSON.parse(answer.body)).toMatchObject({ message: expect.stringContaining("is not a loopback name"), code: "" });
      }
    },
  );

  it.each([
    ["a name with userinfo", "evil.example@localhost"],
    ["a name with userinfo and a port", "evil.example@127.0.0.1:4444"],
    ["a path after the name", "localhost/evil.example"],
    ["an empty value", ""],
  ])("refuses a request whose Host is %s (%j)", async (_, host) => {
    for (const [method, path] of [["POST", "/sql"], ["GET", "/stats"], ["OPTIONS", "/sql"]] as const) {
      const answer = await rawRequest(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${driverHeaderLines}\r\n`);
      expect(answer.status, `${method} ${path}`).toBe(403);
    }
  });

  it("refuses a request with two Host headers, whichever comes first", async () => {
    for (const hosts of [["localhost", "evil.example"], ["evil.example", "localhost"], ["localhost", "localhost"]]) {
      const lines = hosts.map((host) => `Host: ${host}\r\n`).join("");
      const answer = await rawRequest(`POST /sql HTTP/1.1\r\n${lines}${driverHeaderLines}${bodyLines('{"query":"SELECT 1"}')}`);
      expect(answer.status, hosts.join(", ")).toBe(403);
      expect(answer.body).toContain("is not a loopback name");
    }
  });

  it.each(["http://evil.example/sql", "http://localhost/sql", "//evil.example/sql", "*"])(
    "refuses a request target that is not a path on this server (%j)",
    async (target) => {
      const answer = await rawRequest(`POST ${target} HTTP/1.1\r\nHost: localhost\r\n${driverHeaderLines}${bodyLines('{"query":"SELECT 1"}')}`);
      expect(answer.status).toBe(400);
      expect(answer.body).not.toContain('"rows"');
    },
  );

  it("reports GET /stats only to a caller with the connection string", async () => {
    const stats = (headers: Record<string, string>) => fetch(new URL("/stats", gateway.url), { headers });
    const anonymous = await stats({});
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({ message: "invalid header: neon-connection-string" });
    const wrong = Object.assign(new URL(connectionString), { password: "not-the-password" }).toString();
    const refused = await stats({ "Neon-Connection-String": wrong });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "28P01" });
    const answered = await stats({ "Neon-Connection-String": connectionString });
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ requests: expect.any(Number) });
  });

  it.each(["127.0.0.1", "127.0.0.1:4444", "localhost:4444", "LOCALHOST", "[::1]:4444", "app.localhost"])(
    "answers a request whose Host is %j",
    async (host) => {
      const answer = await requestWithHost("POST", "/sql", host, '{"query":"SELECT 1"}');
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ rows: [["1"]] });
    },
  );
});

describe("sessions", () => {
  it("keeps no session authorization or role from one request to the next", { timeout: 30_000 }, async () => {
    const role = uniqueName("intruder");
    const whoAmI = async () => (await post({ query: "SELECT current_user, session_user" })).json.rows[0];
    const fresh = await whoAmI();
    await post({ query: `CREATE ROLE ${role}` });
    try {
      for (const change of [
        { query: `SET SESSION AUTHORIZATION ${role}` },
        { query: "SELECT set_config('session_authorization', $1, false)", params: [role] },
        { query: `SET ROLE ${role}` },
        { queries: [{ query: "SELECT 1" }, { query: `SET SESSION AUTHORIZATION ${role}` }] },
      ]) {
        const { response } = await post(change);
        expect(response.status, JSON.stringify(change)).toBe(200);
        for (let i = 0; i < 5; i++) expect(await whoAmI(), JSON.stringify(change)).toEqual(fresh);
      }
    } finally {
      await post({ query: `DROP ROLE ${role}` });
    }
  });

  it("starts every request from a clean session: settings, temporary tables, prepared statements, transactions", { timeout: 30_000 }, async () => {
    const temp = uniqueName("leftover");
    const name = await createTable("clean", "id int");
    const state = async () => {
      const { json } = await post({
        query:
          "SELECT current_setting('default_transaction_read_only') AS read_only, current_setting('search_path') AS path, " +
          "to_regclass($1) IS NULL AS no_temp, (SELECT count(*) FROM pg_prepared_statements) AS prepared",
        params: [`pg_temp.${temp}`],
      });
      // SAVEPOINT works only inside a transaction block, such as one a lone BEGIN left open.
      const { json: savepoint } = await post({ query: "SAVEPOINT probe" });
      return [...json.rows[0]!, savepoint.code];
    };
    const fresh = await state();
    expect(fresh).toEqual(["off", expect.any(String), "t", "0", "25P01"]);
    // Ten of each, at once, so on PostgreSQL they spread over the pool's connections.
    const leaving = Array.from({ length: 10 }, async () => {
      await post({ query: "SELECT set_config('default_transaction_read_only', 'on', false)" });
      await post({
        queries: [
          { query: "SELECT set_config('search_path', 'nowhere', false)" },
          { query: `CREATE TEMP TABLE ${temp} (id int)` },
          { query: "PREPARE leftover AS SELECT 1" },
        ],
      });
      await post({ query: "BEGIN" });
    });
    await Promise.all(leaving);
    const after = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const { response } = await post({ query: `INSERT INTO public.${name} VALUES ($1)`, params: [String(i)] });
        return [...(await state()), response.status];
      }),
    );
    expect(after).toEqual(Array(20).fill([...fresh, 200]));
  });
});

describe("no crash", () => {
  const cap = 64 * 1024;
  let capped: Awaited<ReturnType<typeof startNeonGateway>> | undefined;
  afterAll(() => capped?.close());

  it("answers 507 to a result over the response limit, and keeps serving", { timeout: 30_000 }, async () => {
    capped = await startNeonGateway({ port: 0, databaseUrl, connectionString, maxResponseBytes: cap });
    // On PostgreSQL, 10 GB of rows: the gateway stops reading them early (reading them all would take minutes and
    // more memory than the machine has); PGlite hands over a result whole, so it gets a bounded one.
    const rows = isPostgres ? 10_000_000 : 2_000;
    const { response, json } = await postSql<NeonBody>(capped.url, {
      query: `SELECT repeat('x', 1000) FROM generate_series(1, ${rows})`,
    });
    expect(response.status).toBe(507);
    expect(json).toMatchObject({ message: `response is too large (max is ${cap} bytes)`, code: "" });
    const { json: next } = await postSql<NeonBody>(capped.url, { query: "SELECT 1" });
    expect(next.rows).toEqual([["1"]]);
  });

  it("answers 500 in Neon's error shape to an unexpected failure, and keeps serving", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      // Nested deeper than the stack allows when turned into a Postgres array literal.
      const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
      const { response, json } = await post(`{"query": "SELECT $1::text", "params": [${deep}]}`);
      expect(response.status).toBe(500);
      expect(json).toMatchObject({ message: expect.stringMatching(/^internal error: /), code: "" });
      expect(errors).toHaveBeenCalledOnce();
    } finally {
      errors.mockRestore();
    }
    const { json: next } = await post({ query: "SELECT 1" });
    expect(next.rows).toEqual([["1"]]);
  });
});

describe("headers", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "refuses Neon-Batch-Isolation-Level: %s as an unknown value",
    async (level) => {
      for (const body of [{ query: "SELECT 1" }, { queries: [{ query: "SELECT 1" }] }]) {
        const { response, json } = await post(body, { ...driverHeaders, "Neon-Batch-Isolation-Level": level });
        expect(response.status).toBe(400);
        expect(json).toMatchObject({ message: "invalid isolation level", code: "" });
      }
    },
  );
});
