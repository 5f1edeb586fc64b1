import { createMiddleware } from "hono/factory";
import { IDEMPOTENCY_KEY_TTL_HOURS } from "../../db/clients";
import type { AppEnv } from "../app-env";
import { raise, type Problem } from "../problem";
import { described } from "../route-meta";

/** 1 to 255 visible ASCII characters, compared exactly as sent (quotes, if any, included). */
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

const BAD_KEY: Problem = { type: "bad-request", detail: "The Idempotency-Key header must be 1 to 255 visible ASCII characters." };

/** Reads the Idempotency-Key header into `idempotencyKey`; a key that is not 1 to 255 visible ASCII characters is a 400. */
export const idempotencyKey = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("Idempotency-Key");
    if (key !== undefined) {
      if (!IDEMPOTENCY_KEY.test(key)) throw raise(BAD_KEY);
      c.set("idempotencyKey", key);
    }
    await next();
  }),
  {
    problems: [BAD_KEY],
    reads: {
      name: "Idempotency-Key",
      description: `Makes a create without \`id\` safe to retry (draft-ietf-httpapi-idempotency-key-header): 1 to 255 visible ASCII characters, compared as sent, per caller. The same key with the same fields answers \`200\` with the client the first request created, however often and however concurrently; with other fields, \`422\`. A key is remembered for ${IDEMPOTENCY_KEY_TTL_HOURS} hours, after which it makes a new client. Ignored when the body has an \`id\`, which makes the create idempotent by itself.`,
      schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[!-~]+$" },
      example: "8e03978e-40d5-43e8-bc93-6894a57f9324",
    },
  },
);
