import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import { createClient, deleteClient, findClient, listClients, updateClient } from "../../db/clients";
import { retryTransient } from "../../db/errors";
import type { ClientRow } from "../../db/schema";
import type { AppEnv } from "../app-env";
import { jsonBody } from "../middleware/json-body";
import type { ClientJson } from "../response-schemas";
import { ApiError } from "../problem";
import { clientParams, createClientBody, encodeCursor, listClientsQuery, updateClientBody } from "../schemas";
import { rejectInvalid } from "../validation";

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
    const { client, created } = await retryTransient(() =>
      createClient(c.var.db, { userId: c.var.userId, id, ...fields }),
    );
    c.set("outcome", created ? "created" : "existing");
    if (!created) {
      const warning = { level: "warn", message: "create resolved to the existing row", requestId: c.var.requestId };
      console.warn(JSON.stringify({ ...warning, clientId: id }));
      return c.json({ client: toClientJson(client) }, 200);
    }
    return c.json({ client: toClientJson(client) }, 201, { Location: `/api/clients/${id}` });
  })
  .get("/", zValidator("query", listClientsQuery, rejectInvalid), async (c) => {
    const { limit, cursor } = c.req.valid("query");
    // One row more than asked tells whether another page follows.
    const rows = await retryTransient(() => listClients(c.var.db, c.var.userId, { limit: limit + 1, cursor }));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor(last) : null;
    return c.json({ clients: page.map(toClientJson), nextCursor }, 200);
  })
  .get("/:id", zValidator("param", clientParams, rejectInvalid), async (c) => {
    const { id } = c.req.valid("param");
    const client = await retryTransient(() => findClient(c.var.db, c.var.userId, id));
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
      const client = await retryTransient(() => updateClient(c.var.db, c.var.userId, id, c.req.valid("json")));
      if (!client) throw clientNotFound();
      return c.json({ client: toClientJson(client) }, 200);
    },
  )
  .delete("/:id", zValidator("param", clientParams, rejectInvalid), async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await retryTransient(() => deleteClient(c.var.db, c.var.userId, id));
    if (!deleted) throw clientNotFound();
    return c.body(null, 204);
  });
