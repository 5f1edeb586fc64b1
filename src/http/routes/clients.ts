import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import { createClient, deleteClient, findClient, listClients, updateClient } from "../../db/clients";
import type { ClientRow } from "../../db/schema";
import { log } from "../../log";
import type { AppEnv } from "../app-env";
import { cursorKey, decodeCursor, encodeCursor } from "../cursor";
import { jsonBody } from "../middleware/json-body";
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
});

const clientNotFound = () => new ApiError("not-found", "You have no client with this id.");

export const clientsRoutes = new Hono<AppEnv>()
  .post("/", jsonBody, zValidator("json", createClientBody, rejectInvalid), async (c) => {
    // The id is fixed before the first attempt, so a retried insert is idempotent.
    const { id = crypto.randomUUID(), ...fields } = c.req.valid("json");
    const { client, created } = await createClient(c.var.db, { userId: c.var.userId, id, ...fields });
    c.set("outcome", created ? "created" : "existing");
    if (!created) {
      log("warn", "create resolved to the existing row", c.var.requestId, { clientId: id });
      return c.json({ client: toClientJson(client) }, 200);
    }
    return c.json({ client: toClientJson(client) }, 201, { Location: `/api/clients/${id}` });
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
  .get("/:id", zValidator("param", clientParams, rejectInvalid), async (c) => {
    const { id } = c.req.valid("param");
    const client = await findClient(c.var.db, c.var.userId, id);
    if (!client) throw clientNotFound();
    return c.json({ client: toClientJson(client) }, 200);
  })
  .patch(
    "/:id",
    zValidator("param", clientParams, rejectInvalid),
    jsonBody,
    zValidator("json", updateClientBody, rejectInvalid),
    async (c) => {
      const { id } = c.req.valid("param");
      const client = await updateClient(c.var.db, c.var.userId, id, c.req.valid("json"));
      if (!client) throw clientNotFound();
      return c.json({ client: toClientJson(client) }, 200);
    },
  )
  .delete("/:id", zValidator("param", clientParams, rejectInvalid), async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await deleteClient(c.var.db, c.var.userId, id);
    if (!deleted) throw clientNotFound();
    return c.body(null, 204);
  });
