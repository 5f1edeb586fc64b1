// `npm run neon:local` as a process of its own, and what 1,000 clients that give up do to it.
import { type NeonDbError, neon, neonConfig, type NeonQueryFunction } from "@neondatabase/serverless";
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayStats } from "../../local/gateway/gateway";
import { repo } from "../support/node/checkout";
import { connectionString, databaseUrl, isPostgres, postSql, uniqueName } from "../support/node/gateway-fixture";
import { type Started, startProcess, waitWhileRunning } from "../support/node/processes";

const password = `secret-${randomUUID()}`;
// Trust authentication ignores the password: it is there to prove the CLI never prints it.
const databaseUrlWithPassword = databaseUrl && Object.assign(new URL(databaseUrl), { password }).toString();

interface Cli extends Started {
  url: string;
  /** From the ready line. */
  connectionString: string;
}

/** Runs the CLI the way `npm run neon:local` does, and waits for its ready line. */
async function startCli(args: string[], env: NodeJS.ProcessEnv): Promise<Cli> {
  const command = ["local/bin/neon-local.ts", "--port", "0", ...args];
  const run = startProcess(process.execPath, command, { cwd: repo, env });
  const readyLine = /^Neon gateway ready at (http:\/\/127\.0\.0\.1:\d+\/sql) \(backend: (\w+), .*\), connection string: (\S+)\n/;
  // Generous: three gateways start at once, on a machine that may be busy.
  const started = await waitWhileRunning(run, () => readyLine.test(run.output()), 60_000);
  expect(started, `the CLI exited, or gave no ready line within 60 s: ${run.output()}`).toBe(true);
  const ready = readyLine.exec(run.output())!;
  expect(ready[2]).toBe(isPostgres ? "postgres" : "pglite");
  return { ...run, url: ready[1]!, connectionString: ready[3]! };
}

function stop(cli: Cli, signal: NodeJS.Signals) {
  cli.child.kill(signal);
  return cli.exited;
}

/** A gateway's counters, asked with the connection string it accepts, as GET /stats requires. */
const statsOf = async ({ url, connectionString }: Cli) =>
  (await (await fetch(new URL("/stats", url), { headers: { "Neon-Connection-String": connectionString } })).json()) as GatewayStats;

const { DATABASE_URL: _inherited, ...envWithoutDatabase } = process.env;
const withUrlFlag = () => startCli(databaseUrlWithPassword ? ["--database-url", databaseUrlWithPassword] : [], envWithoutDatabase);
// One process per test that stops one, so no test depends on another having run first (or not yet).
let cli: Cli; // the database URL as a flag, a random password; serves this file's queries
let other: Cli; // the database URL from the environment, --connection-string; stopped with SIGTERM
let interrupted: Cli; // the database URL as a flag; stopped with SIGINT
let sql: NeonQueryFunction<false, false>;
beforeAll(async () => {
  [cli, other, interrupted] = await Promise.all([
    withUrlFlag(),
    startCli(["--connection-string", connectionString], {
      ...envWithoutDatabase,
      ...(databaseUrlWithPassword && { DATABASE_URL: databaseUrlWithPassword }),
    }),
    withUrlFlag(),
  ]);
  neonConfig.fetchEndpoint = cli.url;
  sql = neon(cli.connectionString);
}, 90_000);
afterAll(() => {
  for (const started of [cli, other, interrupted]) if (started?.child.exitCode === null) started.child.kill("SIGKILL");
});

// The driver sends a query only once something awaits it.
const send = <T>(query: PromiseLike<T>) => Promise.resolve(query);

describe("npm run neon:local", () => {
  it("prints one ready line with the endpoint and the backend, never the password", async () => {
    expect(cli.output().split("\n")).toHaveLength(2);
    expect(cli.output()).not.toContain(password);
    // Whatever the database is called: the URL as given, its password masked.
    if (databaseUrl) expect(cli.output()).toContain(Object.assign(new URL(databaseUrl), { password: "***" }).toString());
    expect(await sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("accepts the --connection-string it was given, and stops cleanly on SIGTERM, reading DATABASE_URL from the environment", async () => {
    expect(other.output()).not.toContain(password);
    expect(other.connectionString).toBe(connectionString);
    const { json } = await postSql(other.url, { query: "SELECT 1 AS one" }, { "Neon-Connection-String": connectionString });
    expect(json).toMatchObject({ rows: [{ one: 1 }] });
    expect(await stop(other, "SIGTERM")).toBe(0);
  });

  it("makes up a password that only its ready line shows, whatever the requests", async () => {
    const { password: clientPassword, username } = new URL(cli.connectionString);
    expect(clientPassword.length).toBeGreaterThanOrEqual(32);
    expect(cli.connectionString).not.toBe(interrupted.connectionString); // a new one each start
    const wrongPassword = Object.assign(new URL(cli.connectionString), { password: "wrong" }).toString();
    const wrongUser = Object.assign(new URL(cli.connectionString), { username: `${username}x` }).toString();
    const outcomes = await Promise.allSettled([
      sql.query("SELECT $1::int", [clientPassword]), // 22P02, echoing the value back to its sender only
      sql.query("SELECT 1 AS one"),
      neon(wrongPassword).query("SELECT 1"),
      neon(wrongUser).query("SELECT 1"),
    ]);
    expect(outcomes.map((o) => (o.status === "fulfilled" ? "ok" : (o.reason as NeonDbError).code))).toEqual([
      "22P02",
      "ok",
      "28P01",
      "28P01",
    ]);
    const [readyLine, ...rest] = cli.output().split("\n");
    expect(readyLine).toContain(clientPassword);
    expect(rest.join("\n")).not.toContain(clientPassword);
  });

  it("frees every connection after 1,000 aborted requests, and the next query works", { timeout: 60_000 }, async () => {
    const table = uniqueName("aborted");
    await sql.query(`CREATE TABLE ${table} (k int, part int)`);
    const marker = uniqueName("abort_me");
    const isAbort = (o: PromiseSettledResult<unknown>) =>
      o.status === "rejected" && (o.reason as NeonDbError).sourceError?.name === "AbortError";
    const seconds = isPostgres ? 30 : 0; // on PGlite, a statement that wrongly ran would block the gateway
    const start = await statsOf(cli);
    for (let wave = 0; wave < 2; wave++) {
      const before = await statsOf(cli);
      // PGlite cannot cancel a statement (it runs synchronously to its end), so what matters there is that
      // nothing runs for a caller who already left: the gateway is frozen until all 500 have given up.
      if (!isPostgres) process.kill(cli.child.pid!, "SIGSTOP");
      const controller = new AbortController();
      const fetchOptions = { signal: controller.signal };
      const requests = Array.from({ length: 500 }, (_, i) => {
        const k = wave * 500 + i;
        const sleep = sql.query(`SELECT pg_sleep($1) /* ${marker} */`, [seconds], { fetchOptions });
        return i % 2
          ? sql.transaction([sql.query(`INSERT INTO ${table} VALUES ($1, 1)`, [k]), sleep, sql.query(`INSERT INTO ${table} VALUES ($1, 2)`, [k])], { fetchOptions })
          : send(sleep);
      });
      if (isPostgres) {
        // All 500 received, and every connection of the pool busy with a 30 s statement, single or in a batch.
        await expect
          .poll(() => statsOf(cli), { timeout: 10_000 })
          .toSatisfy((s: GatewayStats) => s.requests - before.requests === 500 && s.connections.idle === 0 && s.connections.total === 10);
      } else {
        await delay(500);
      }
      controller.abort();
      const outcomes = await Promise.allSettled(requests);
      if (!isPostgres) process.kill(cli.child.pid!, "SIGCONT");
      expect(outcomes.filter((o) => !isAbort(o))).toEqual([]); // 2 waves of 500: 1,000 aborted requests
    }

    await expect.poll(async () => (await statsOf(cli)).connections, { timeout: 10_000 }).toSatisfy(
      (c: GatewayStats["connections"]) => c.waiting === 0 && c.idle === c.total && c.total <= (isPostgres ? 10 : 1),
    );
    const end = await statsOf(cli);
    if (isPostgres) {
      // The statements running at each abort were cancelled (57014) rather than left to sleep on.
      expect((end.errors["57014"] ?? 0) - (start.errors["57014"] ?? 0)).toBeGreaterThanOrEqual(2 * 10);
    } else {
      expect(end.statements).toEqual(start.statements); // not one statement ran for the 1,000
    }
    expect(await sql.query("SELECT 2 AS two")).toEqual([{ two: 2 }]);
    // No aborted batch was applied, not even in part.
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 0 }]);
    // Nothing of theirs still runs on the server.
    const running = await sql.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()",
      [`%${marker}%`],
    );
    expect(running).toEqual([{ n: 0 }]);
    await sql.query(`DROP TABLE ${table}`);
  });

  it("stops cleanly on SIGINT", async () => {
    expect(interrupted.output()).not.toContain(password);
    expect(await stop(interrupted, "SIGINT")).toBe(0);
  });
});
