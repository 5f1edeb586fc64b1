// What the API answers, as zod schemas: the OpenAPI document is generated from them (with the request
// schemas in ./schemas) and the contract tests validate every response against that document. Routes
// import only the types, so none of this reaches the worker bundle.
import * as z from "zod/mini";
import { PROBLEMS, type ProblemType } from "./problem";
import { clientId, MAX_LENGTH } from "./schemas";
import { MAX_LISTED_ERRORS } from "./validation";

export const timestamp = z.iso.datetime().check(z.describe("ISO 8601 timestamp in UTC, with milliseconds"));

export const clientJson = z
  .strictObject({
    id: clientId.check(z.describe("The client's id: the chat id given on create, or one the server made up")),
    name: z.string().check(z.minLength(1), z.maxLength(MAX_LENGTH.name), z.describe("Trimmed of surrounding white space")),
    email: z.nullable(z.email().check(z.maxLength(MAX_LENGTH.email))),
    phone: z.nullable(z.string().check(z.maxLength(MAX_LENGTH.phone))),
    company: z.nullable(z.string().check(z.maxLength(MAX_LENGTH.company))),
    createdAt: timestamp,
    updatedAt: timestamp,
    etag: z
      .string()
      .check(z.describe("The client's ETag, as in the ETag header: send it in If-Match to change the client only as you saw it")),
  })
  .check(
    z.meta({
      examples: [
        {
          id: "chat-42",
          name: "Ada Lovelace",
          email: "ada@example.com",
          phone: null,
          company: null,
          createdAt: "2026-11-27T18:00:01.086Z",
          updatedAt: "2026-11-27T18:00:01.086Z",
          etag: '"1729"',
        },
      ],
    }),
  );

export type ClientJson = z.infer<typeof clientJson>;

export const clientEnvelope = z.strictObject({ client: clientJson });

export const clientPage = z.strictObject({
  clients: z.array(clientJson).check(z.describe("Newest first")),
  nextCursor: z
    .nullable(z.string())
    .check(z.describe("Pass as `cursor` to get the next page; `null` on the last page")),
});

export const health = z.strictObject({ status: z.literal("ok"), database: z.literal("ok") });

const fieldError = z.strictObject({
  pointer: z.string().check(z.describe("JSON Pointer (RFC 6901) to the field at fault; empty for the whole body")),
  detail: z.string(),
});

export const problemUrn = <T extends ProblemType>(type: T) => `urn:clients-api:problem:${type}` as const;

export const problemStatuses = [...new Set(Object.values(PROBLEMS).map(({ status }) => status))];
export type ProblemStatus = (typeof PROBLEMS)[ProblemType]["status"];

/** RFC 9457 problem details for one status: `type` is one of the URNs that status answers with. */
export function problemJson(status: ProblemStatus) {
  const types = (Object.keys(PROBLEMS) as ProblemType[]).filter((type) => PROBLEMS[type].status === status);
  const [first, ...rest] = types.map(problemUrn);
  if (!first) throw new Error(`no problem type answers ${status}`);
  return z.strictObject({
    type: z.enum([first, ...rest]),
    title: z.string(),
    status: z.literal(status),
    detail: z.string().check(z.describe("What went wrong, for a human")),
    requestId: z.string().check(z.describe("The same value as the X-Request-Id header")),
    errors: z
      .optional(z.array(fieldError).check(z.maxLength(MAX_LISTED_ERRORS)))
      .check(z.describe("The fields at fault (400 and 409): the first 20, `detail` counts the rest")),
  });
}

type ProblemTypeOf<S extends ProblemStatus> = { [T in ProblemType]: (typeof PROBLEMS)[T]["status"] extends S ? T : never }[ProblemType];

/** The problem body of one status, with that status's `type` URNs: for the typed client. */
export type ProblemJson<S extends ProblemStatus = ProblemStatus> = Omit<z.infer<ReturnType<typeof problemJson>>, "type" | "status"> & {
  type: ReturnType<typeof problemUrn<ProblemTypeOf<S>>>;
  status: S;
};
