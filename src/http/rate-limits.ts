import { CONFIGURED_RATE_LIMITS } from "./rate-limits.generated";

const READS = new Set(["GET", "HEAD"]);

/** The per-user limits: the name RateLimit-Policy gives each, and its quota from wrangler.toml. */
export const RATE_LIMITS = {
  write: { policy: "writes", ...CONFIGURED_RATE_LIMITS.WRITE_LIMITER },
  read: { policy: "reads", ...CONFIGURED_RATE_LIMITS.READ_LIMITER },
} as const;

export type RateLimitKind = keyof typeof RATE_LIMITS;

/** Which limit counts a request: reads (`GET`, `HEAD`) or writes (everything else). */
export const rateLimitKindOf = (method: string): RateLimitKind => (READS.has(method) ? "read" : "write");

const policyItem = ({ policy, limit, period }: (typeof RATE_LIMITS)[RateLimitKind]) => `"${policy}";q=${limit};w=${period}`;

/** Each limit as a RateLimit-Policy item (IETF draft-ietf-httpapi-ratelimit-headers): `"writes";q=60;w=60`. */
export const RATE_LIMIT_POLICY: Record<RateLimitKind, string> = { write: policyItem(RATE_LIMITS.write), read: policyItem(RATE_LIMITS.read) };
