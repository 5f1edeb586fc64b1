// What the OpenAPI document (./openapi.ts) reads off the app's handlers: the problems a middleware may
// answer with and the schema a validator checks. Each handler carries its own, so the document follows
// the middleware that each route really runs.
import type { MiddlewareHandler } from "hono";
import type * as z from "zod/mini";
import type { Problem } from "./problem";

export type ValidationTarget = "json" | "query" | "param";

/** A request header a middleware reads, as the document's header parameter. */
export type RequestHeader = {
  readonly name: string;
  readonly description: string;
  readonly schema: Readonly<Record<string, unknown>>;
  readonly example: string;
};

export type HandlerMeta = {
  readonly problems?: readonly Problem[];
  readonly validates?: { readonly target: ValidationTarget; readonly schema: z.ZodMiniType };
  readonly reads?: RequestHeader;
  /** Headers (of the document's components) the middleware puts on every response, problems included. */
  readonly sets?: readonly string[];
  /** Answers other than problems that the middleware itself may give, by status. */
  readonly answers?: Readonly<Record<number, { readonly description: string; readonly headers?: readonly string[] }>>;
};

const META = Symbol("openapi");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any app's middleware
export const described = <H extends MiddlewareHandler<any, any, any>>(handler: H, meta: HandlerMeta): H =>
  Object.assign(handler, { [META]: meta });

export const metaOf = (handler: unknown): HandlerMeta | undefined => (handler as { [META]?: HandlerMeta } | undefined)?.[META];
