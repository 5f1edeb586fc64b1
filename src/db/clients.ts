import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "./client";
import { violatedUniqueConstraint } from "./errors";
import { CLIENTS_PRIMARY_KEY, clients, type ClientRow, type NewClientRow } from "./schema";

export type ClientFields = Pick<NewClientRow, "name" | "email" | "phone" | "company">;
export type ListCursor = { createdAt: Date; id: string };

export async function findClient(db: Database, userId: string, id: string): Promise<ClientRow | undefined> {
  const [row] = await db
    .select()
    .from(clients)
    .where(and(eq(clients.userId, userId), eq(clients.id, id)));
  return row;
}

/**
 * Inserts first and lets the primary key settle concurrent creates of one id: the losers read and
 * return the winner's row, which is never overwritten. One round trip for a new client, two for an
 * existing one. If the winner's row is deleted before it can be read, the insert is tried once more.
 * Any other error (an email conflict included) is thrown.
 */
export async function createClient(
  db: Database,
  values: NewClientRow & { id: string },
): Promise<{ client: ClientRow; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [client] = await db.insert(clients).values(values).returning();
      return { client: client!, created: true };
    } catch (error) {
      if (violatedUniqueConstraint(error) !== CLIENTS_PRIMARY_KEY) throw error;
      const existing = await findClient(db, values.userId, values.id);
      if (existing) return { client: existing, created: false };
      if (attempt === 2) throw error;
    }
  }
}

/** The caller's clients, newest first, `limit` of them after `cursor` (a row's createdAt and id). */
export async function listClients(
  db: Database,
  userId: string,
  { limit, cursor }: { limit: number; cursor?: ListCursor },
): Promise<ClientRow[]> {
  const afterCursor =
    cursor && sql`(${clients.createdAt}, ${clients.id}) < (${cursor.createdAt.toISOString()}::timestamptz, ${cursor.id})`;
  return db
    .select()
    .from(clients)
    .where(and(eq(clients.userId, userId), afterCursor))
    .orderBy(desc(clients.createdAt), desc(clients.id))
    .limit(limit);
}

export async function updateClient(
  db: Database,
  userId: string,
  id: string,
  changes: Partial<ClientFields>,
): Promise<ClientRow | undefined> {
  const [row] = await db
    .update(clients)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(and(eq(clients.userId, userId), eq(clients.id, id)))
    .returning();
  return row;
}

export async function deleteClient(db: Database, userId: string, id: string): Promise<boolean> {
  const deleted = await db
    .delete(clients)
    .where(and(eq(clients.userId, userId), eq(clients.id, id)))
    .returning({ id: clients.id });
  return deleted.length > 0;
}

export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
