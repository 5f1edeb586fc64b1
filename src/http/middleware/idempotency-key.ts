import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../problem";

/** 1 to 255 visible ASCII characters, compared exactly as sent (quotes, if any, included). */
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

/** Reads the Idempotency-Key header into `idempotencyKey`; a key that is not 1 to 255 visible ASCII characters is a 400. */
export const idempotencyKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (key !== undefined) {
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError("bad-request", "The Idempotency-Key header must be 1 to 255 visible ASCII characters.");
    }
    c.set("idempotencyKey", key);
  }
  await next();
});
