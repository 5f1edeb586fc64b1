import { and, eq, getTableName, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Database } from "./connection";
import { DatabaseUnavailableError, UniqueViolationError, violatedUniqueConstraint } from "./errors";
import { withOneRetry } from "./retry";
import {
  CLIENTS_PRIMARY_KEY,
  clients,
  clientVersions,
  nextClientVersion,
  UNIQUE_FIELDS,
  type ClientFieldName,
  type ClientRow,
  type NewClientRow,
} from "./schema";

type ClientFields = Pick<NewClientRow, ClientFieldName>;
export type ListCursor = { createdAt: Date; id: string };

// Every function here is one or two round trips under the retry policy of `withOneRetry`, and throws
// DatabaseUnavailableError, UniqueViolationError, or what nobody could classify.

// The list index is built DESC NULLS LAST (drizzle-kit's `.desc()`), and a plain DESC means NULLS FIRST:
// PostgreSQL would then read all of a user's rows and sort them, though neither column can be null.
const newestFirst = (column: AnyPgColumn) => sql`${column} desc nulls last`;

const byOwnerAndId = (userId: string, id: string) => and(eq(clients.userId, userId), eq(clients.id, id));

/** A write refused by a unique index on a field becomes a conflict on that field; anything else is rethrown. */
function rethrowFieldConflict(error: unknown): never {
  const field = UNIQUE_FIELDS[violatedUniqueConstraint(error) as keyof typeof UNIQUE_FIELDS] as ClientFieldName | undefined;
  if (field) throw new UniqueViolationError(field, { cause: error });
  throw error;
}

// The reads are prepared once per database handle (one per isolate): Drizzle then builds their SQL
// once instead of on every request, and each call only fills in the values.
function prepareReads(db: Database) {
  const ownedBy = eq(clients.userId, sql.placeholder("userId"));
  const page = (after?: SQL) =>
    db
      .select()
      .from(clients)
      .where(and(ownedBy, after))
      .orderBy(newestFirst(clients.createdAt), newestFirst(clients.id))
      .limit(sql.placeholder("limit"));
  const afterCursor = sql`(${clients.createdAt}, ${clients.id}) < (${sql.placeholder("afterCreatedAt")}::timestamptz, ${sql.placeholder("afterId")})`;
  return {
    find: db.select().from(clients).where(and(ownedBy, eq(clients.id, sql.placeholder("id")))).prepare("find_client"),
    firstPage: page().prepare("list_clients"),
    nextPage: page(afterCursor).prepare("list_clients_after"),
  };
}

const readsByDb = new WeakMap<Database, ReturnType<typeof prepareReads>>();

function preparedReads(db: Database) {
  let reads = readsByDb.get(db);
  if (!reads) readsByDb.set(db, (reads = prepareReads(db)));
  return reads;
}

export async function findClient(db: Database, userId: string, id: string): Promise<ClientRow | undefined> {
  const [row] = await withOneRetry(() => preparedReads(db).find.execute({ userId, id }));
  return row;
}

/**
 * Inserts first and lets the primary key settle concurrent creates of one id: the losers read and
 * return the winner's row, which is never overwritten. One round trip for a new client, two for an
 * existing one. If the winner's row is deleted before it can be read, the insert is tried once more;
 * if that happens twice, the id is reported as a conflict.
 */
export async function createClient(
  db: Database,
  values: NewClientRow & { id: string },
): Promise<{ client: ClientRow; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [client] = await withOneRetry(() => db.insert(clients).values(values).returning());
      return { client: client!, created: true };
    } catch (error) {
      if (violatedUniqueConstraint(error) !== CLIENTS_PRIMARY_KEY) rethrowFieldConflict(error);
      const existing = await findClient(db, values.userId, values.id);
      if (existing) return { client: existing, created: false };
      if (attempt === 2) throw new UniqueViolationError("id", { cause: error });
    }
  }
}

/** The caller's clients, newest first, `limit` of them after `cursor` (a row's createdAt and id). */
export async function listClients(
  db: Database,
  userId: string,
  { limit, cursor }: { limit: number; cursor?: ListCursor },
): Promise<ClientRow[]> {
  const { firstPage, nextPage } = preparedReads(db);
  return withOneRetry(() =>
    cursor
      ? nextPage.execute({ userId, limit, afterCreatedAt: cursor.createdAt.toISOString(), afterId: cursor.id })
      : firstPage.execute({ userId, limit }),
  );
}

export async function updateClient(
  db: Database,
  userId: string,
  id: string,
  changes: Partial<ClientFields>,
): Promise<ClientRow | undefined> {
  const statement = () =>
    db
      .update(clients)
      .set({ ...changes, updatedAt: sql`now()`, version: nextClientVersion })
      .where(byOwnerAndId(userId, id))
      .returning();
  const [row] = await withOneRetry(statement).catch(rethrowFieldConflict);
  return row;
}

export async function deleteClient(db: Database, userId: string, id: string): Promise<boolean> {
  const deleted = await withOneRetry(() => db.delete(clients).where(byOwnerAndId(userId, id)).returning({ id: clients.id }));
  return deleted.length > 0;
}

/**
 * One statement, not retried: a health check reports the database as it is now. The database can serve
 * when it answers and its role may read and write `clients` and draw versions; any failure, a refused
 * password or a missing table included, means the API cannot serve.
 */
export async function checkDatabase(db: Database): Promise<void> {
  const table = getTableName(clients);
  let ready: boolean | undefined;
  try {
    const { rows } = await db.execute<{ ready: boolean }>(sql`select
      has_table_privilege(${table}::text, 'SELECT') and has_table_privilege(${table}::text, 'INSERT') and
      has_table_privilege(${table}::text, 'UPDATE') and has_table_privilege(${table}::text, 'DELETE') and
      has_sequence_privilege(${clientVersions.seqName}::text, 'USAGE') as ready`);
    ready = rows[0]?.ready;
  } catch (error) {
    throw new DatabaseUnavailableError("the database did not answer the health check", { cause: error });
  }
  if (ready !== true) throw new DatabaseUnavailableError("the database's role may not read and write clients");
}
