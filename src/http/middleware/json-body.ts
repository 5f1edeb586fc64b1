import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import { raise, type Problem } from "../problem";
import { described } from "../route-meta";

export const MAX_BODY_BYTES = 16 * 1024;

const NOT_JSON: Problem = { type: "unsupported-media-type", detail: "Send the body as application/json." };
const TOO_LARGE: Problem = { type: "payload-too-large", detail: `The request body exceeds ${MAX_BODY_BYTES} bytes.` };
const MALFORMED: Problem = { type: "malformed-json", detail: "The request body is not valid JSON." };

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw raise(TOO_LARGE);
  },
});

/** Accepts only an `application/json` body of at most 16 KiB that parses; the validator then reads it
 *  from Hono's body cache. */
export const jsonBody = described(
  createMiddleware(async (c, next) => {
    const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json") throw raise(NOT_JSON);
    await limitBody(c, async () => {
      try {
        await c.req.json();
      } catch {
        throw raise(MALFORMED);
      }
      await next();
    });
  }),
  { problems: [NOT_JSON, TOO_LARGE, MALFORMED] },
);
