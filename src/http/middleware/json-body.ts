import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../problem";

const MAX_BODY_BYTES = 16 * 1024;

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError("payload-too-large", `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  },
});

/** Accepts only an `application/json` body of at most 16 KiB that parses; the validator then reads it
 *  from Hono's body cache. */
export const jsonBody = createMiddleware(async (c, next) => {
  const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new ApiError("unsupported-media-type", "Send the body as application/json.");
  }
  await limitBody(c, async () => {
    try {
      await c.req.json();
    } catch {
      throw new ApiError("malformed-json", "The request body is not valid JSON.");
    }
    await next();
  });
});
