// The worker's settings (wrangler.toml vars and secrets), parsed and checked once per isolate. Nothing
// else reads `env`: routes and middleware get the typed `Config`.
import * as z from "zod";
import type { DatabaseOptions } from "./db/connection";

export type Config = {
  /** Origins a browser may call the API from. */
  corsOrigins: string[];
  database: DatabaseOptions;
  auth: {
    /** HS256 key for bearer tokens. */
    secret: string;
    /** An identity provider whose asymmetrically signed tokens are accepted too. */
    provider?: { jwksUrl: string; issuer: string; audience: string };
  };
};

/** A setting is missing or invalid. Names the settings and what they must be, never their values. */
export class MisconfiguredError extends Error {
  override readonly name = "MisconfiguredError";

  constructor(readonly settings: string[], rules: string[]) {
    super(rules.join("; "));
  }
}

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

const urlWith = (accept: (url: URL) => boolean) => (value: string) => URL.canParse(value) && accept(new URL(value));
const isHttp = ({ protocol }: URL) => protocol === "http:" || protocol === "https:";
const isOrigin = (value: string) => urlWith((url) => isHttp(url) && url.origin === value)(value);
const emptyOr = (accept: (value: string) => boolean) => (value: string) => value === "" || accept(value);

// What each setting must be. Shown to callers and operators in place of zod's messages, so that no
// message ever repeats a value.
export const SETTING_RULES = {
  DATABASE_URL: "must be a postgres:// or postgresql:// connection string",
  JWT_SECRET: "must be a non-empty secret",
  CORS_ORIGINS: "must be a comma-separated list of origins such as https://app.example.com",
  DB_TIMEOUT_MS: "must be a whole number of milliseconds from 100 to 60000",
  JWKS_URL: "must be empty or an http(s) URL",
  JWT_ISSUER: "must be set when JWKS_URL is",
  JWT_AUDIENCE: "must be set when JWKS_URL is",
  // A stray production setting must not send the connection string, with its password, to another host.
  NEON_FETCH_ENDPOINT: "must be empty or an http(s) URL on a loopback host (localhost, 127.x.x.x, [::1])",
} as const;
type Setting = keyof typeof SETTING_RULES;

const settings = z
  .object({
    DATABASE_URL: z.string().refine(urlWith(({ protocol }) => protocol === "postgres:" || protocol === "postgresql:")),
    JWT_SECRET: z.string().min(1),
    CORS_ORIGINS: z
      .string()
      .default("")
      .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean))
      .refine((origins) => origins.every(isOrigin)),
    DB_TIMEOUT_MS: z
      .string()
      .default("5000")
      .refine((value) => /^\d{1,5}$/.test(value) && +value >= 100 && +value <= 60_000)
      .transform(Number),
    JWKS_URL: z.string().default("").refine(emptyOr(urlWith(isHttp))),
    JWT_ISSUER: z.string().default(""),
    JWT_AUDIENCE: z.string().default(""),
    NEON_FETCH_ENDPOINT: z
      .string()
      .default("")
      .refine(emptyOr(urlWith((url) => isHttp(url) && LOOPBACK_HOSTS.test(url.hostname)))),
  })
  .superRefine(({ JWKS_URL, JWT_ISSUER, JWT_AUDIENCE }, ctx) => {
    if (!JWKS_URL) return;
    if (!JWT_ISSUER) ctx.addIssue({ code: "custom", path: ["JWT_ISSUER"] });
    if (!JWT_AUDIENCE) ctx.addIssue({ code: "custom", path: ["JWT_AUDIENCE"] });
  });

function parseConfig(env: Env): Config | MisconfiguredError {
  const parsed = settings.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path[0] as Setting))];
    return new MisconfiguredError(names, names.map((name) => `${name} ${SETTING_RULES[name]}`));
  }
  const { data } = parsed;
  return {
    corsOrigins: data.CORS_ORIGINS,
    database: { url: data.DATABASE_URL, fetchEndpoint: data.NEON_FETCH_ENDPOINT || undefined, timeoutMs: data.DB_TIMEOUT_MS },
    auth: {
      secret: data.JWT_SECRET,
      provider: data.JWKS_URL
        ? { jwksUrl: data.JWKS_URL, issuer: data.JWT_ISSUER, audience: data.JWT_AUDIENCE }
        : undefined,
    },
  };
}

// An isolate keeps one env object for all its requests: parse it once (an error too).
const parsedByEnv = new WeakMap<Env, Config | MisconfiguredError>();

/** The typed settings of `env`; throws MisconfiguredError when one is missing or invalid. */
export function configFor(env: Env): Config {
  let parsed = parsedByEnv.get(env);
  if (parsed === undefined) parsedByEnv.set(env, (parsed = parseConfig(env)));
  if (parsed instanceof MisconfiguredError) throw parsed;
  return parsed;
}
