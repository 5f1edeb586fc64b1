// The gateway accepts one connection string, as a Neon endpoint does: Neon's answers to any other.
import { neon, neonConfig, NeonDbError, Pool } from "@neondatabase/serverless";
import * as crypto from "node:crypto";
import { drizzle } from "drizzle-orm/neon-http";
import { sql as drizzleSql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { gatewayCredentials, sameSecret } from "../../local/gateway/connection-string";
import { startNeonGateway } from "../../local/gateway/gateway";
import { connectionString, databaseUrl, errorKeys, neonErrorOf, postSql, startTestGateway } from "../support/node/gateway-fixture";

// The real timingSafeEqual, watched: the tests below check what the gateway hands it.
vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const { gateway, sql } = await startTestGateway();

/** The accepted connection string with one part changed. */
const changed = (part: "username" | "password" | "hostname" | "pathname", value: string) =>
  Object.assign(new URL(connectionString), { [part]: value }).toString();

const refusals = [
  ["user", changed("username", "intruder"), "28P01", 'password authentication failed for user "intruder"'],
  ["password", changed("password", "not-the-password"), "28P01", 'password authentication failed for user "app"'],
  ["host", changed("hostname", "ep-other-endpoint.example.com"), "28P01", 'password authentication failed for user "app"'],
  ["database", changed("pathname", "/elsewhere"), "3D000", 'database "elsewhere" does not exist'],
] as const;

describe("credentials", () => {
  it("answers the accepted connection string, whatever its query parameters", async () => {
    expect(gateway.connectionString).toBe(connectionString);
    expect(await sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    const withParameters = `${connectionString}?sslmode=require&channel_binding=require`;
    expect(await neon(withParameters).query("SELECT 2 AS two")).toEqual([{ two: 2 }]);
  });

  it.each(refusals)("refuses a wrong %s like Neon, before anything reaches the database", async (_part, url, code, message) => {
    const before = gateway.stats();
    const err = await neon(url).query("SELECT 1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err).toMatchObject({ name: "NeonDbError", message, code, severity: "FATAL", detail: undefined });
    const wrapped = await neonErrorOf(drizzle({ client: neon(url) }).execute(drizzleSql`SELECT 1`));
    expect(wrapped).toMatchObject({ message, code });

    const after = gateway.stats();
    expect(after.statements).toEqual(before.statements); // nothing ran
    expect((after.errors[code] ?? 0) - (before.errors[code] ?? 0)).toBe(2);
  });

  it("answers a refusal with HTTP 400 in Neon's error shape", async () => {
    const { response, json } = await postSql(gateway.url, { query: "SELECT 1" }, { "Neon-Connection-String": changed("password", "nope") });
    expect(response.status).toBe(400);
    expect(Object.keys(json as object)).toEqual(errorKeys);
    expect(json).toMatchObject({ code: "28P01", severity: "FATAL", message: 'password authentication failed for user "app"' });
  });

  // The three credential cases of Neon's own driver suite, as it writes them.
  describe("Neon driver suite", () => {
    const url = new URL(connectionString);
    it("database URL with wrong user", async () => {
      const wrong = connectionString.replace(`${url.username}:`, "wronguser:");
      await expect(neon(wrong)`SELECT 1 AS one`).rejects.toThrow("password authentication failed");
    });
    it("database URL with wrong password", async () => {
      const wrong = connectionString.replace(`:${url.password}@`, ":wrongpassword@");
      await expect(neon(wrong)`SELECT 1 AS one`).rejects.toThrow("password authentication failed");
    });
    it("database URL with wrong project", async () => {
      const wrong = connectionString.replace(`@${url.hostname}`, "@ep-wrong-project-123456.us-east-2.aws.neon.tech");
      await expect(neon(wrong)`SELECT 1 AS one`).rejects.toThrow("password authentication failed");
    });
  });

  // Neon serves an endpoint under two host names, ep-… and ep-…-pooler. Its driver suite runs its pool tests
  // with both; this is its case that goes over HTTP ("pool.query() with poolQueryViaFetch"), under each name.
  const direct = "ep-quiet-lake-123456.us-east-2.aws.neon.tech";
  const pooled = "ep-quiet-lake-123456-pooler.us-east-2.aws.neon.tech";
  it.each([["direct", direct], ["pooled", pooled]])(
    "takes an endpoint accepted under its %s host under both of its hosts: Neon driver suite's pool.query() with poolQueryViaFetch",
    { timeout: 30_000 },
    async (_, acceptedHost) => {
      const urlFor = (hostname: string) => Object.assign(new URL(connectionString), { hostname }).toString();
      const endpoint = await startNeonGateway({ port: 0, databaseUrl, connectionString: urlFor(acceptedHost) });
      const previous = neonConfig.fetchEndpoint;
      neonConfig.fetchEndpoint = endpoint.url;
      neonConfig.poolQueryViaFetch = true;
      try {
        for (const host of [direct, pooled]) {
          const pool = new Pool({ connectionString: urlFor(host) });
          const result = await pool.query("SELECT $1::int AS one", [1]).finally(() => pool.end());
          expect(result.rows, host).toStrictEqual([{ one: 1 }]);
          expect((result as unknown as { viaNeonFetch: boolean }).viaNeonFetch).toBe(true);
        }
        // Another endpoint in the same region stays refused, under either name.
        for (const host of [direct, pooled]) {
          const elsewhere = urlFor(host.replace("quiet-lake", "other-lake"));
          await expect(neon(elsewhere)`SELECT 1 AS one`).rejects.toThrow("password authentication failed");
        }
      } finally {
        neonConfig.poolQueryViaFetch = false;
        neonConfig.fetchEndpoint = previous;
        await endpoint.close();
      }
    },
  );

  it("compares passwords as fixed-length digests in constant time, so no prefix answers faster", async () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    const password = new URL(connectionString).password;
    const tries = ["", password[0]!, password.slice(0, -1), `${password.slice(0, -1)}!`, `${password}${password}`, password];
    expect(tries.map((tried) => sameSecret(tried, password))).toEqual([false, false, false, false, false, true]);
    // Through the gateway too, also when the user is already wrong (the password is compared all the same).
    for (const tried of tries) await neon(changed("password", tried || "x")).query("SELECT 1").catch(() => {});
    await neon(changed("username", "intruder")).query("SELECT 1").catch(() => {});
    expect(compare).toHaveBeenCalledTimes(2 * tries.length + 1);
    for (const [a, b] of compare.mock.calls) {
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
  });

  it("makes up a random password when given none, and refuses to start with an unusable connection string", { timeout: 30_000 }, async () => {
    expect(gatewayCredentials().connectionString).not.toBe(gatewayCredentials().connectionString);
    const gateway = await startNeonGateway({ port: 0, databaseUrl });
    try {
      expect(new URL(gateway.connectionString).password.length).toBeGreaterThanOrEqual(32);
      const { json } = await postSql(gateway.url, { query: "SELECT 1 AS one" }, { "Neon-Connection-String": gateway.connectionString });
      expect(json).toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await gateway.close();
    }
    // Before any backend opens, and without printing the password.
    const noDatabase = startNeonGateway({ port: 0, databaseUrl, connectionString: "postgresql://app:never-printed@localhost" });
    await expect(noDatabase).rejects.toThrow(/^the gateway's connection string is not usable: missing database name$/);
    await expect(startNeonGateway({ port: 0, connectionString: "postgresql://app@localhost/app" })).rejects.toThrow(/required password/);
  });

  it("never logs the password", async () => {
    const logged = (["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method));
    try {
      const password = new URL(connectionString).password;
      await sql.query("SELECT $1::int", [password]).catch(() => {});
      for (const [, url] of refusals) await neon(url).query("SELECT 1").catch(() => {});
      for (const spy of logged) expect(JSON.stringify(spy.mock.calls)).not.toContain(password);
    } finally {
      for (const spy of logged) spy.mockRestore();
    }
  });
});
