import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { CHANGE_RETENTION_DAYS, changesAfter } from "../../db/changes";
import { createClient, createClientWithKey, deleteClient, findClient, listClients, updateClient } from "../../db/clients";
import type { ClientRow } from "../../db/schema";
import { log } from "../../log";
import type { AppEnv } from "../app-env";
import { toChangeJson } from "../change-json";
import { toClientJson } from "../client-fields";
import { cursorKey, decodeCursor, encodeCursor } from "../cursor";
import { FIELD_TAKEN, KEY_REUSED, POSITION_UNKNOWN, STALE_VERSION } from "../errors";
import { idempotencyKey } from "../middleware/idempotency-key";
import { ifMatch } from "../middleware/if-match";
import { jsonBody } from "../middleware/json-body";
import { notModified } from "../middleware/not-modified";
import type { Operations } from "../openapi";
import { raise, type Problem } from "../problem";
import { publishChange } from "../publish-change";
import { changesQuery, clientParams, createClientBody, listClientsQuery, PAGE_SIZE, updateClientBody } from "../request-schemas";
import { validate } from "../validation";

const CLIENT_NOT_FOUND: Problem = { type: "not-found", detail: "You have no client with this id." };
const KEYED_CLIENT_DELETED: Problem = { type: "not-found", detail: "The client this Idempotency-Key created has been deleted since." };

/** A response that carries one client: its JSON, and its ETag in the header too. */
function clientResponse(c: Context<AppEnv>, row: ClientRow, status: 200 | 201, headers: Record<string, string> = {}) {
  const client = toClientJson(row);
  return c.json({ client }, status, { ETag: client.etag, ...headers });
}
const FOREIGN_CURSOR: Problem = {
  type: "validation-failed",
  detail: "The query string has invalid fields: /cursor.",
  errors: [{ pointer: "/cursor", detail: "is not a cursor this API issued to you" }],
};

export const clientsRoutes = new Hono<AppEnv>()
  .post("/", idempotencyKey, jsonBody, validate("json", createClientBody), async (c) => {
    const { id: givenId, ...fields } = c.req.valid("json");
    const { idempotencyKey: key } = c.var;
    // The id is fixed before the first attempt, so a retried insert is idempotent. A given id makes the
    // create idempotent by itself: a key then plays no part.
    const values = { userId: c.var.userId, id: givenId ?? crypto.randomUUID(), ...fields };
    const result =
      givenId === undefined && key !== undefined ? await createClientWithKey(c.var.db, values, key) : await createClient(c.var.db, values);
    if (!result) throw raise(KEYED_CLIENT_DELETED);
    const { client, change } = result;
    c.set("outcome", change ? "created" : "existing");
    if (!change) {
      log("warn", "create resolved to the existing row", c.var.requestId, { clientId: client.id });
      return clientResponse(c, client, 200);
    }
    publishChange(c, change);
    return clientResponse(c, client, 201, { Location: `/api/clients/${client.id}` });
  })
  .get("/", validate("query", listClientsQuery), async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const { userId } = c.var;
    const key = await cursorKey(c.var.config.auth.secret);
    const after = cursor === undefined ? undefined : await decodeCursor(key, userId, cursor);
    if (cursor !== undefined && !after) throw raise(FOREIGN_CURSOR);
    // One row more than asked tells whether another page follows.
    const rows = await listClients(c.var.db, userId, { limit: limit + 1, cursor: after });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? await encodeCursor(key, userId, last) : null;
    return c.json({ clients: page.map(toClientJson), nextCursor }, 200);
  })
  // Before "/:id", which would take "changes" for an id.
  .get("/changes", validate("query", changesQuery), async (c) => {
    const { after, limit } = c.req.valid("query");
    const { changes, last } = await changesAfter(c.var.db, c.var.userId, { after, limit });
    return c.json({ changes: changes.map(toChangeJson), next: changes.at(-1)?.seq ?? last }, 200);
  })
  .get("/:id", validate("param", clientParams), notModified, async (c) => {
    const { id } = c.req.valid("param");
    const client = await findClient(c.var.db, c.var.userId, id);
    if (!client) throw raise(CLIENT_NOT_FOUND);
    return clientResponse(c, client, 200);
  })
  .patch("/:id", validate("param", clientParams), ifMatch, jsonBody, validate("json", updateClientBody), async (c) => {
    const { id } = c.req.valid("param");
    const change = await updateClient(c.var.db, c.var.userId, id, c.req.valid("json"), c.var.expectedVersions);
    if (!change) throw raise(CLIENT_NOT_FOUND);
    publishChange(c, change);
    return clientResponse(c, change.client, 200);
  })
  .delete("/:id", validate("param", clientParams), ifMatch, async (c) => {
    const { id } = c.req.valid("param");
    const change = await deleteClient(c.var.db, c.var.userId, id, c.var.expectedVersions);
    if (!change) throw raise(CLIENT_NOT_FOUND);
    publishChange(c, change);
    return c.body(null, 204);
  });

const IDEMPOTENT_CREATE = `Creating is safe to repeat and to race: the insert goes first, and when the id exists already for
the caller the stored row is returned with \`200\` (the body's fields are **not** applied, and there is no
\`Location\`). So a chat app may send the same create from several tabs or retries at once: exactly one
request answers \`201\`, the others \`200\` with that first writer's row. Without an \`id\` the server makes up
a new one (a UUID) on every call: send the chat id, or an \`Idempotency-Key\`, to make such a create safe to retry.
A create racing a delete of the same id is ordered after it or before it: it answers \`201\` (it made the
client again) or \`200\` (with the row it met), never an error.`;

const CHANGE_LOG = `Every create that answers \`201\`, every update and every delete is recorded with its position \`seq\`
(1, 2, 3, ... per caller, without gaps) in the same statement that makes it, so a change that committed is in
the log, and the positions are handed out in the order the changes commit: a reader that asks for the changes
after the last one it saw never misses one. The live socket (\`GET /api/clients/live\`) sends the same changes
as they happen; this route fills the gaps after a reconnect. Changes are kept ${CHANGE_RETENTION_DAYS} days: a position older
than that answers \`410\`, and the caller reloads the list. To start: read the current position (no \`after\`),
then load the list, then apply the changes after that position, each only if its client's ETag is newer
than the one the list gave (an ETag is a number that only grows).`;

// Each route's entry in the OpenAPI document (../openapi.ts), keyed by method and path as the app serves them:
// only what the route itself adds, as its request schemas and its middleware's problems come from the app.
// Made by a pure call, which the worker's bundle drops: only the document reads it.
export const clientsOperations = /* @__PURE__ */ (() => ({
  "POST /api/clients": {
    operationId: "createClient",
    tags: ["clients"],
    summary: "Create a client, or get the existing one with this id or Idempotency-Key",
    description: IDEMPOTENT_CREATE,
    requestExamples: ({ values }) => ({
      "with the chat id (idempotent)": { id: "chat-42", ...values },
      "without an id (the server makes one up)": values,
    }),
    responses: {
      201: { description: "Created: the new client.", content: "ClientEnvelope", headers: ["Location", "ETag"] },
      200: {
        description:
          "The id exists already, or the `Idempotency-Key` was sent before with the same fields: the stored client, as it is now (the body's fields are not applied).",
        content: "ClientEnvelope",
        headers: ["ETag"],
      },
    },
    problems: [FIELD_TAKEN, KEY_REUSED, KEYED_CLIENT_DELETED],
  },
  "GET /api/clients": {
    operationId: "listClients",
    tags: ["clients"],
    summary: "List the caller's clients, newest first, a page at a time",
    description: "Follow `nextCursor` from page to page until it is `null`: each client is listed once.",
    parameters: {
      limit: `Clients per page, ${PAGE_SIZE.min} to ${PAGE_SIZE.max}, in decimal digits (no sign, spaces, exponent or leading zeros).`,
      cursor:
        "The `nextCursor` of the previous page; absent for the first page. Opaque, tamper-evident and bound to the caller: any other value answers `400` naming `/cursor`.",
    },
    responses: { 200: { description: "One page of clients.", content: "ClientPage" } },
    problems: [FOREIGN_CURSOR],
  },
  "GET /api/clients/changes": {
    operationId: "listChanges",
    tags: ["clients"],
    summary: "Follow the caller's changes: creates, updates and deletes after a position, in order",
    description: CHANGE_LOG,
    parameters: {
      after: "The position to continue from: the `seq` of the last change seen, or the `next` of the previous answer. Without it, the answer has no changes and `next` is the current position.",
      limit: `Changes per answer, ${PAGE_SIZE.min} to ${PAGE_SIZE.max}, in decimal digits.`,
    },
    responses: { 200: { description: "The changes after `after`, oldest first.", content: "ChangePage" } },
    problems: [POSITION_UNKNOWN],
  },
  "GET /api/clients/:id": {
    operationId: "getClient",
    tags: ["clients"],
    summary: "Get a client",
    description: "The caller's client with this id: another user's id answers `404`, exactly like a missing one.",
    responses: { 200: { description: "The client.", content: "ClientEnvelope", headers: ["ETag"] } },
    problems: [CLIENT_NOT_FOUND],
  },
  "PATCH /api/clients/:id": {
    operationId: "updateClient",
    tags: ["clients"],
    summary: "Change some of a client's fields",
    description: "Only the fields present change; `null` clears an optional field. At least one field is required.",
    requestExamples: ({ values, cleared }) => ({ "change some fields, clear others": { ...values, ...cleared } }),
    responses: { 200: { description: "The updated client.", content: "ClientEnvelope", headers: ["ETag"] } },
    problems: [CLIENT_NOT_FOUND, FIELD_TAKEN, STALE_VERSION],
  },
  "DELETE /api/clients/:id": {
    operationId: "deleteClient",
    tags: ["clients"],
    summary: "Delete a client",
    description: "Deletes the caller's client with this id; deleting it again answers `404`.",
    responses: { 204: { description: "Deleted." } },
    problems: [CLIENT_NOT_FOUND, STALE_VERSION],
  },
}) satisfies Operations)();
