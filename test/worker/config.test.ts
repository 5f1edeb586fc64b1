// The worker's settings: parsed once per isolate; a missing or invalid one answers a 500 problem that
// names the setting, never its value, and writes one error line that names it too.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configFor, MisconfiguredError, SETTING_RULES } from "../../src/config";
import { call, expectProblem, signToken } from "../support/api";

const withSettings = (settings: Record<string, string | undefined>) => ({ ...env, ...settings }) as Env;

function errorLines() {
  const lines: Record<string, unknown>[] = [];
  vi.spyOn(console, "error").mockImplementation((text: string) => void lines.push(JSON.parse(text)));
  vi.spyOn(console, "log").mockImplementation(() => {});
  return lines;
}

describe("an invalid setting", () => {
  afterEach(() => vi.restoreAllMocks());

  const provider = { JWKS_URL: "https://issuer.test/.well-known/jwks.json", JWT_ISSUER: "https://issuer.test/", JWT_AUDIENCE: "api" };

  it.each<[keyof typeof SETTING_RULES, Record<string, string | undefined>]>([
    ["DATABASE_URL", { DATABASE_URL: undefined }],
    ["DATABASE_URL", { DATABASE_URL: "" }],
    ["DATABASE_URL", { DATABASE_URL: "notaurl" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://user:secret-password@db.example/app" }],
    ["DATABASE_URL", { DATABASE_URL: "https://user:secret-password@db.example/app" }],
    ["JWT_SECRET", { JWT_SECRET: undefined }],
    ["JWT_SECRET", { JWT_SECRET: "" }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "app.example.com" }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "https://app.example.com/path" }],
    ["CORS_ORIGINS", { CORS_ORIGINS: "https://app.example.com, *" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "abc" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "5s" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "1e3" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "-5" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "99" }],
    ["DB_TIMEOUT_MS", { DB_TIMEOUT_MS: "60001" }],
    ["JWKS_URL", { ...provider, JWKS_URL: "not a url" }],
    ["JWKS_URL", { ...provider, JWKS_URL: "ftp://issuer.test/keys" }],
    ["JWT_ISSUER", { ...provider, JWT_ISSUER: "" }],
    ["JWT_AUDIENCE", { ...provider, JWT_AUDIENCE: "" }],
    ["NEON_FETCH_ENDPOINT", { NEON_FETCH_ENDPOINT: "https://api.example.com/sql" }],
    ["NEON_FETCH_ENDPOINT", { NEON_FETCH_ENDPOINT: "http://127.0.0.1.example.com/sql" }],
    ["NEON_FETCH_ENDPOINT", { NEON_FETCH_ENDPOINT: "http://localhost.example.com/sql" }],
    ["NEON_FETCH_ENDPOINT", { NEON_FETCH_ENDPOINT: "http://10.0.0.1/sql" }],
    ["NEON_FETCH_ENDPOINT", { NEON_FETCH_ENDPOINT: "ftp://127.0.0.1/sql" }],
    ["NEON_FETCH_ENDPOINT", { NEON_FETCH_ENDPOINT: "not a url" }],
    ["WRITE_LIMITER", { WRITE_LIMITER: undefined }],
    ["READ_LIMITER", { READ_LIMITER: undefined }],
    ["READ_LIMITER", { READ_LIMITER: "300" }],
  ])("%s: %j answers 500 misconfigured naming it, and logs one line naming it", async (name, settings) => {
    const lines = errorLines();
    const token = await signToken("someone");
    for (const path of ["/health", "/api/clients"]) {
      const response = await call("GET", path, { token, settings });
      const problem = await expectProblem(response, 500);
      expect(problem).toMatchObject({
        type: "urn:clients-api:problem:misconfigured",
        detail: `The server's settings are invalid: ${name} ${SETTING_RULES[name]}.`,
      });
    }
    const misconfigured = lines.filter((line) => line.message === "misconfigured");
    expect(misconfigured).toHaveLength(2);
    for (const line of misconfigured) expect(line).toMatchObject({ level: "error", error: { settings: [name] } });
    for (const value of Object.values(settings).filter((value) => value && value.length > 3)) {
      expect(JSON.stringify(lines)).not.toContain(value);
    }
  });

  it("names every invalid setting at once", () => {
    const error = (() => {
      try {
        return configFor(withSettings({ DB_TIMEOUT_MS: "soon", JWT_SECRET: "" }));
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(MisconfiguredError);
    expect((error as MisconfiguredError).settings.sort()).toEqual(["DB_TIMEOUT_MS", "JWT_SECRET"]);
  });
});

describe("valid settings", () => {
  it("are parsed once per environment", () => {
    const settings = withSettings({});
    expect(configFor(settings)).toBe(configFor(settings));
  });

  it("take their defaults when optional ones are absent", () => {
    const config = configFor(
      withSettings({ CORS_ORIGINS: undefined, DB_TIMEOUT_MS: undefined, JWKS_URL: undefined, NEON_FETCH_ENDPOINT: undefined }),
    );
    expect(config.corsOrigins).toEqual([]);
    expect(config.database).toEqual({ url: env.DATABASE_URL, fetchEndpoint: undefined, timeoutMs: 5000 });
    expect(config.auth.provider).toBeUndefined();
  });

  it("split and trim the CORS origins", () => {
    expect(configFor(withSettings({ CORS_ORIGINS: " https://app.test, http://localhost:5173 ,," })).corsOrigins).toEqual([
      "https://app.test",
      "http://localhost:5173",
    ]);
  });

  it.each(["http://127.0.0.1:4444/sql", "http://localhost:4444/sql", "http://[::1]:4444/sql", "https://127.8.9.10/sql"])(
    "accept a local gateway on the loopback host of %s",
    (endpoint) => expect(configFor(withSettings({ NEON_FETCH_ENDPOINT: endpoint })).database.fetchEndpoint).toBe(endpoint),
  );
});
