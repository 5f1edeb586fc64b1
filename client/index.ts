// The typed client for TypeScript callers (the chat frontend, the tests): openapi-fetch over the types that
// `npm run openapi` generates from the OpenAPI document (./schema.d.ts). Each route knows its own request,
// and its own statuses only; nothing here refers to the worker's code or to Workers types.
import createClient, { type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, operations, paths } from "./schema";

/** `createApiClient("https://api.example", { headers: { Authorization: `Bearer ${token}` } })` */
export const createApiClient = (baseUrl: string, options: Omit<ClientOptions, "baseUrl"> = {}) =>
  createClient<paths>({ baseUrl, ...options });

export type ApiClient = ReturnType<typeof createApiClient>;
