// Generated from wrangler.toml's [[ratelimits]] by `npm run cf-typegen`: change the limits there, not here.
export const CONFIGURED_RATE_LIMITS = {
  WRITE_LIMITER: {
    limit: 60,
    period: 60
  },
  READ_LIMITER: {
    limit: 300,
    period: 60
  }
} as const;
