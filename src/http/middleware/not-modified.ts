import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { badEntityTagList, ENTITY_TAG_LIST_SCHEMA, entityTagsIn } from "../entity-tag";
import { described } from "../route-meta";

const BAD_IF_NONE_MATCH = badEntityTagList("If-None-Match");

/**
 * Conditional GET: a 200 whose ETag matches If-None-Match (weakly, or `*`) becomes a 304 with that ETag
 * and no body. Every other header stays (the request id, CORS, the rate limit's policy), unlike Hono's
 * etag middleware, which keeps only a fixed few. A value that is not a list of entity tags is a 400.
 */
export const notModified = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const tags = entityTagsIn(c, "If-None-Match", BAD_IF_NONE_MATCH);
    await next();
    const current = c.res.headers.get("ETag");
    if (tags === undefined || c.res.status !== 200 || current === null) return;
    if (tags === "*" || tags.some((tag) => `"${tag.opaque}"` === current)) {
      await c.res.body?.cancel();
      // Assigning c.res carries the previous response's headers over, all but Content-Type.
      c.res = new Response(null, { status: 304 });
    }
  }),
  {
    problems: [BAD_IF_NONE_MATCH],
    reads: {
      name: "If-None-Match",
      description: "The `ETag` you hold (weak comparison), or `*`: while it is current the answer is `304` with no body.",
      schema: ENTITY_TAG_LIST_SCHEMA,
      example: '"1729"',
    },
    answers: { 304: { description: "`If-None-Match` holds the current ETag: not modified, no body.", headers: ["ETag"] } },
  },
);
