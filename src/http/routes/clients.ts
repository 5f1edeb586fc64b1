import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import { createClient, createClientWithKey, deleteClient, findClient, listClients, updateClient } from "../../db/clients";
import type { ClientRow } from "../../db/schema";
import { log } from "../../log";
import type { AppEnv } from "../app-env";
import { cursorKey, decodeCursor, encodeCursor } from "../cursor";
import { entityTagOf } from "../entity-tag";
import { idempotencyKey } from "../middleware/idempotency-key";
import { ifMatch } from "../middleware/if-match";
import { jsonBody } from "../middleware/json-body";
import { notModified } from "../middleware/not-modified";
import type { ClientJson } from "../response-schemas";
import { ApiError } from "../problem";
import { clientParams, createClientBody, listClientsQuery, updateClientBody } from "../schemas";
import { invalidFields, rejectInvalid } from "../validation";

const toClientJson = (row: ClientRow): ClientJson => ({
  id: row.id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  company: row.company,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  etag: entityTagOf(row.version),
});

/** The headers of a response that carries one client. */
const clientHeaders = (row: ClientRow, headers: Record<string, string> = {}) => ({ ETag: entityTagOf(row.version), ...headers });

const clientNotFound = () => new ApiError("not-found", "You have no client with this id.");

export const clientsRoutes = new Hono<AppEnv>()
  .post("/", idempotencyKey, jsonBody, zValidator("json", createClientBody, rejectInvalid), async (c) => {
    const { id: givenId, ...fields } = c.req.valid("json");
    const { idempotencyKey: key } = c.var;
    // The id is fixed before the first attempt, so a retried insert is idempotent. A given id makes the
    // create idempotent by itself: the key then plays no part.
    const values = { userId: c.var.userId, id: givenId ?? crypto.randomUUID(), ...fields };
    const result = givenId === undefined && key !== undefined ? await createClientWithKey(c.var.db, values, key) : await createClient(c.var.db, values);
    if (!result) throw new ApiError("not-found", "The client this Idempotency-Key created has been deleted since.");
    const { client, created } = result;
    c.set("outcome", created ? "created" : "existing");
    if (!created) {
      log("warn", "create resolved to the existing row", c.var.requestId, { clientId: client.id });
      return c.json({ client: toClientJson(client) }, 200, clientHeaders(client));
    }
    return c.json({ client: toClientJson(client) }, 201, clientHeaders(client, { Location: `/api/clients/${client.id}` }));
  })
  .get("/", zValidator("query", listClientsQuery, rejectInvalid), async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const { userId } = c.var;
    const key = await cursorKey(c.var.config.auth.secret);
    const after = cursor === undefined ? undefined : await decodeCursor(key, userId, cursor);
    if (cursor !== undefined && !after) {
      throw invalidFields("query", [{ pointer: "/cursor", detail: "is not a cursor this API issued to you" }]);
    }
    // One row more than asked tells whether another page follows.
    const rows = await listClients(c.var.db, userId, { limit: limit + 1, cursor: after });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? await encodeCursor(key, userId, last) : null;
    return c.json({ clients: page.map(toClientJson), nextCursor }, 200);
  })
  .get("/:id", zValidator("param", clientParams, rejectInvalid), notModified, async (c) => {
    const { id } = c.req.valid("param");
    const client = await findClient(c.var.db, c.var.userId, id);
    if (!client) throw clientNotFound();
    return c.json({ client: toClientJson(client) }, 200, clientHeaders(client));
  })
  .patch(
    "/:id",
    zValidator("param", clientParams, rejectInvalid),
    ifMatch,
    jsonBody,
    zValidator("json", updateClientBody, rejectInvalid),
    async (c) => {
      const { id } = c.req.valid("param");
      const client = await updateClient(c.var.db, c.var.userId, id, c.req.valid("json"), c.var.expectedVersions);
      if (!client) throw clientNotFound();
      return c.json({ client: toClientJson(client) }, 200, clientHeaders(client));
    },
  )
  .delete("/:id", zValidator("param", clientParams, rejectInvalid), ifMatch, async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await deleteClient(c.var.db, c.var.userId, id, c.var.expectedVersions);
    if (!deleted) throw clientNotFound();
    return c.body(null, 204);
  });
