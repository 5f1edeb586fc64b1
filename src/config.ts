// The worker's settings (wrangler.toml vars and secrets), parsed and checked once per isolate. Nothing
// else reads `env`: routes and middleware get the typed `Config`.
import * as z from "zod/mini";
import type { DatabaseOptions } from "./db/connection";
import type { UserFeed } from "./live/user-feed";
import { keptIn } from "./per-isolate";

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
  /** Per-user limits ([[ratelimits]] in wrangler.toml): one for writes, a looser one for reads. */
  rateLimits: { write: RateLimit; read: RateLimit };
  /** The Durable Objects that hold each user's live sockets. */
  userFeeds: DurableObjectNamespace<UserFeed>;
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
const rateLimit = z.custom<RateLimit>((value) => typeof (value as Partial<RateLimit> | undefined)?.limit === "function");
const durableObjects = z.custom<DurableObjectNamespace<UserFeed>>(
  (value) => typeof (value as Partial<DurableObjectNamespace> | undefined)?.getByName === "function",
);

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
  WRITE_LIMITER: "must be a rate limiting binding ([[ratelimits]] in wrangler.toml)",
  READ_LIMITER: "must be a rate limiting binding ([[ratelimits]] in wrangler.toml)",
  USER_FEEDS: "must be the UserFeed Durable Object binding ([[durable_objects.bindings]] in wrangler.toml)",
} as const;
type Setting = keyof typeof SETTING_RULES;

// An unset setting reads as `fallback`.
const textOr = (fallback: string) => z._default(z.string(), fallback);

const settings = z
  .object({
    DATABASE_URL: z.string().check(z.refine(urlWith(({ protocol }) => protocol === "postgres:" || protocol === "postgresql:"))),
    JWT_SECRET: z.string().check(z.minLength(1)),
    CORS_ORIGINS: z
      .pipe(
        textOr(""),
        z.transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean)),
      )
      .check(z.refine((origins) => origins.every(isOrigin))),
    DB_TIMEOUT_MS: z.pipe(
      textOr("5000").check(z.refine((value) => /^\d{1,5}$/.test(value) && +value >= 100 && +value <= 60_000)),
      z.transform(Number),
    ),
    JWKS_URL: textOr("").check(z.refine(emptyOr(urlWith(isHttp)))),
    JWT_ISSUER: textOr(""),
    JWT_AUDIENCE: textOr(""),
    NEON_FETCH_ENDPOINT: textOr("").check(
      z.refine(emptyOr(urlWith((url) => isHttp(url) && LOOPBACK_HOSTS.test(url.hostname)))),
    ),
    WRITE_LIMITER: rateLimit,
    READ_LIMITER: rateLimit,
    USER_FEEDS: durableObjects,
  })
  .check(
    z.superRefine(({ JWKS_URL, JWT_ISSUER, JWT_AUDIENCE }, ctx) => {
      if (!JWKS_URL) return;
      if (!JWT_ISSUER) ctx.addIssue({ code: "custom", path: ["JWT_ISSUER"] });
      if (!JWT_AUDIENCE) ctx.addIssue({ code: "custom", path: ["JWT_AUDIENCE"] });
    }),
  );

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
    rateLimits: { write: data.WRITE_LIMITER, read: data.READ_LIMITER },
    userFeeds: data.USER_FEEDS,
  };
}

// An isolate keeps one env object for all its requests: parse it once (an error too).
const parsedByEnv = new WeakMap<Env, Config | MisconfiguredError>();

/** The typed settings of `env`; throws MisconfiguredError when one is missing or invalid. */
export function configFor(env: Env): Config {
  const parsed = keptIn(parsedByEnv, env, parseConfig);
  if (parsed instanceof MisconfiguredError) throw parsed;
  return parsed;
}
