import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { parseEntityTags, versionOf } from "../entity-tag";
import { ApiError } from "../problem";

/**
 * Reads If-Match into `expectedVersions`, the versions a conditional write may apply to. `*` asks only
 * that the client exist, as every write does anyway: it sets none. If-Match compares strongly, so a weak
 * tag, like any tag this API never issued, matches no version. A value that is not a list of entity tags
 * is a 400.
 */
export const ifMatch = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("If-Match");
  const tags = header === undefined ? undefined : parseEntityTags(header);
  if (header !== undefined && tags === undefined) {
    throw new ApiError("bad-request", 'The If-Match header must be "*" or a list of entity tags such as "42".');
  }
  if (tags !== undefined && tags !== "*") {
    const strong = tags.filter((tag) => !tag.weak).map(versionOf);
    c.set("expectedVersions", strong.filter((version) => version !== undefined));
  }
  await next();
});
