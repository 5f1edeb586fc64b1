// The typed client for TypeScript callers (the chat frontend, the tests): Hono's `hc` on the app's
// type, so inputs and each status's body are typed. Thrown errors are invisible to Hono's inference:
// the problem bodies are added to every route's responses here.
import { type ApplyGlobalResponse, type ClientRequestOptions, hc } from "hono/client";
import type { ProblemJson, ProblemStatus } from "./http/response-schemas";
import type { AppType } from "./index";

type ProblemResponses = { [S in ProblemStatus]: { json: ProblemJson<S> } };

export type ApiType = ApplyGlobalResponse<AppType, ProblemResponses>;

/** `createApiClient("https://api.example", { headers: { Authorization: `Bearer ${token}` } })` */
export const createApiClient = (baseUrl: string, options?: ClientRequestOptions) => hc<ApiType>(baseUrl, options);

export type ApiClient = ReturnType<typeof createApiClient>;
