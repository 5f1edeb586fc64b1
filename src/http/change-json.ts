// A change of the user's change log as the API answers with it: in GET /api/clients/changes and in the
// live socket's messages alike.
import type { Change } from "../db/changes";
import { toClientJson, type ClientJson } from "./client-fields";
import { entityTagOf } from "./entity-tag";

/** What a delete tells: which client is gone, and the ETag it had. */
type DeletedClientJson = Pick<ClientJson, "id" | "etag">;

export type ChangeJson = { seq: number; op: Change["op"]; client: ClientJson | DeletedClientJson };

export function toChangeJson({ seq, op, client }: Change): ChangeJson {
  return { seq, op, client: op === "deleted" ? { id: client.id, etag: entityTagOf(client.version) } : toClientJson(client) };
}
