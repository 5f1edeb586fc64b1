import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { badEntityTagList, ENTITY_TAG_LIST_SCHEMA, entityTagsIn, versionOf } from "../entity-tag";
import { described } from "../route-meta";

const BAD_IF_MATCH = badEntityTagList("If-Match");

/**
 * Reads If-Match into `expectedVersions`, the versions a conditional write may apply to. `*` asks only
 * that the client exist, as every write does anyway: it sets none. If-Match compares strongly, so a weak
 * tag, like any tag this API never issued, matches no version. A value that is not a list of entity tags
 * is a 400.
 */
export const ifMatch = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const tags = entityTagsIn(c, "If-Match", BAD_IF_MATCH);
    if (tags !== undefined && tags !== "*") {
      const strong = tags.filter((tag) => !tag.weak).map(versionOf);
      c.set("expectedVersions", strong.filter((version) => version !== undefined));
    }
    await next();
  }),
  {
    problems: [BAD_IF_MATCH],
    reads: {
      name: "If-Match",
      description:
        "Write only if the client is still at one of these versions: its `ETag` (strong comparison), or `*` for any. A stale tag answers `412` and writes nothing; a missing client is `404` whatever the tag. Without the header the write applies to whatever is stored.",
      schema: ENTITY_TAG_LIST_SCHEMA,
      example: '"1729"',
    },
  },
);
