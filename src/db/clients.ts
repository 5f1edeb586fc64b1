import { and, eq, getTableColumns, getTableName, lt, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { AnyPgColumn, PgInsertValue } from "drizzle-orm/pg-core";
import { recording, type WrittenChange } from "./changes";
import type { Database } from "./connection";
import {
  DatabaseUnavailableError,
  IdempotencyKeyReusedError,
  StaleVersionError,
  UniqueViolationError,
  violatedNotNullColumn,
  violatedUniqueConstraint,
} from "./errors";
import { keptIn } from "../per-isolate";
import { withOneRetry } from "./retry";
import {
  CLIENTS_PRIMARY_KEY,
  clients,
  clientVersions,
  idempotencyKeys,
  nextClientVersion,
  UNIQUE_FIELDS,
  type ChangeOp,
  type ClientFieldName,
  type ClientRow,
  type NewClientRow,
} from "./schema";

type ClientFields = Pick<NewClientRow, ClientFieldName>;
type NewClient = NewClientRow & { id: string };
export type ListCursor = { createdAt: Date; id: string };
/** A create's client, and its change when the create made it (none when an existing client answered). */
export type Created = { client: ClientRow; change?: WrittenChange };

/**
 * A write's precondition: the client's current version must be one of these (an If-Match header's
 * entity tags). Absent, the write applies to whatever version is stored.
 */
type ExpectedVersions = readonly number[] | undefined;

/** How long an idempotency key is remembered: after this, the same key makes a new client. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
// Each keyed create also removes this many expired keys of any user, so the table stays bounded by the
// keys of the last IDEMPOTENCY_KEY_TTL_HOURS without a job of its own.
const EXPIRED_KEYS_PRUNED_PER_CREATE = 10;

// Every function here is one or two round trips under the retry policy of `withOneRetry`, and throws
// DatabaseUnavailableError, UniqueViolationError, or what nobody could classify. Every write records its
// change in the user's change log in the same statement (./changes.ts).

// The list index is built DESC NULLS LAST (drizzle-kit's `.desc()`), and a plain DESC means NULLS FIRST:
// PostgreSQL would then read all of a user's rows and sort them, though neither column can be null.
const newestFirst = (column: AnyPgColumn) => sql`${column} desc nulls last`;

const ownedBy = eq(clients.userId, sql.placeholder("userId"));
const thisClient = and(ownedBy, eq(clients.id, sql.placeholder("id")));

// The precondition goes into the write's own WHERE clause: checked and written in one statement, with
// no window between a read and the write.
const atExpectedVersion = sql`${clients.version} = any(${sql.placeholder("versions")}::bigint[])`;
const thisClientAt = (conditional: boolean) => and(thisClient, conditional ? atExpectedVersion : undefined);

/** What a recording statement returns: the written row, and its change's position and mark (null when no change). */
type RecordedRow = ClientRow & { seq: number | null; watched: boolean | null };

/** The change a recording write made, or undefined when it wrote nothing or its row counts as no change. */
function changeOf(op: ChangeOp, [row]: RecordedRow[]): WrittenChange | undefined {
  if (!row || row.seq === null) return undefined;
  const { seq, watched, ...client } = row;
  return { seq, op, client, watched: watched === true };
}

/** A create's client, and its change when the statement made the row. */
function createdFrom(rows: RecordedRow[]): Created {
  const { seq: _seq, watched: _watched, ...client } = rows[0]!;
  return { client, change: changeOf("created", rows) };
}

/** A write refused by a unique index on a field becomes a conflict on that field; anything else is rethrown. */
function rethrowFieldConflict(error: unknown): never {
  const field = UNIQUE_FIELDS[violatedUniqueConstraint(error) as keyof typeof UNIQUE_FIELDS] as ClientFieldName | undefined;
  if (field) throw new UniqueViolationError(field, { cause: error });
  throw error;
}

// What a create writes: every column without a default. The rest (timestamps, version) the database sets.
const CREATED_COLUMNS = Object.entries(getTableColumns(clients)).flatMap(([key, column]) => (column.hasDefault ? [] : [key as keyof NewClient]));

// An update's statement depends on the fields it sets and on whether it has a precondition: each such shape
// is prepared the first time it is used, at most 2^fields x 2 of them.
function prepareUpdate(db: Database, name: string, fieldNames: readonly string[], conditional: boolean) {
  const fields = Object.fromEntries(fieldNames.map((name) => [name, sql.placeholder(name)]));
  const written = db.$with("written").as(
    db
      .update(clients)
      .set({ ...fields, updatedAt: sql`now()`, version: nextClientVersion })
      .where(thisClientAt(conditional))
      .returning(),
  );
  return recording(db, "updated", written).prepare(name);
}

function prepareDelete(db: Database, conditional: boolean) {
  const written = db.$with("written").as(db.delete(clients).where(thisClientAt(conditional)).returning());
  return recording(db, "deleted", written).prepare(`delete_client${conditional ? "_if_at" : ""}`);
}

// The reads and the writes are prepared once per database handle (one per isolate): Drizzle then builds
// their SQL once instead of on every request, and each call only fills in the values. Creates under a key
// and the rarer paths of a create are built per call.
function prepareStatements(db: Database) {
  const page = (after?: SQL) =>
    db
      .select()
      .from(clients)
      .where(and(ownedBy, after))
      .orderBy(newestFirst(clients.createdAt), newestFirst(clients.id))
      .limit(sql.placeholder("limit"));
  const afterCursor = sql`(${clients.createdAt}, ${clients.id}) < (${sql.placeholder("afterCreatedAt")}::timestamptz, ${sql.placeholder("afterId")})`;
  const newClient = Object.fromEntries(CREATED_COLUMNS.map((key) => [key, sql.placeholder(key)]));
  return {
    create: recording(db, "created", inserted(db, newClient as Record<keyof NewClient, Placeholder>)).prepare("create_client"),
    find: db.select().from(clients).where(thisClient).prepare("find_client"),
    firstPage: page().prepare("list_clients"),
    nextPage: page(afterCursor).prepare("list_clients_after"),
    remove: prepareDelete(db, false),
    removeIfAt: prepareDelete(db, true),
    updates: new Map<string, ReturnType<typeof prepareUpdate>>(),
  };
}

const statementsByDb = new WeakMap<Database, ReturnType<typeof prepareStatements>>();

const prepared = (db: Database) => keptIn(statementsByDb, db, prepareStatements);

export async function findClient(db: Database, userId: string, id: string): Promise<ClientRow | undefined> {
  const [row] = await withOneRetry(() => prepared(db).find.execute({ userId, id }));
  return row;
}

/**
 * Inserts first and lets the primary key settle concurrent creates of one id: the losers read and
 * return the winner's row, which is never overwritten. One round trip for a new client, two for an
 * existing one. If the winner's row is deleted before it can be read, the create is ordered after that
 * delete: a third statement inserts the row, or, if yet another create got there first, returns that
 * one, under the row's lock. So a create racing a delete answers created or existing, never a conflict.
 */
export async function createClient(db: Database, values: NewClient): Promise<Created> {
  try {
    // An absent optional field is NULL, as an insert without it would store.
    const params = Object.fromEntries(CREATED_COLUMNS.map((key) => [key, values[key] ?? null]));
    return createdFrom(await withOneRetry(() => prepared(db).create.execute(params)));
  } catch (error) {
    if (violatedUniqueConstraint(error) !== CLIENTS_PRIMARY_KEY) rethrowFieldConflict(error);
  }
  const existing = await findClient(db, values.userId, values.id);
  if (existing) return { client: existing };
  return insertOrLockExisting(db, values);
}

const inserted = (db: Database, values: PgInsertValue<typeof clients>) =>
  db.$with("written").as(db.insert(clients).values(values).returning());

// The update leaves the row as it is (the same version, so the same ETag) and only makes ON CONFLICT
// wait for and return the committed row: a row deleted meanwhile no longer conflicts. A new tuple has
// no xmax; one written by ON CONFLICT DO UPDATE carries the updating transaction's. Only a new row is a change.
async function insertOrLockExisting(db: Database, values: NewClient): Promise<Created> {
  const written = db.$with("written").as(
    db
      .insert(clients)
      .values(values)
      .onConflictDoUpdate({ target: [clients.userId, clients.id], set: { version: sql`${clients.version}` } })
      .returning({ ...getTableColumns(clients), recorded: sql<boolean>`xmax = 0`.as("recorded") }),
  );
  return createdFrom(await withOneRetry(() => recording(db, "created", written)).catch(rethrowFieldConflict));
}

/**
 * Creates a client under the caller's idempotency key, in one statement: the key is claimed (or an
 * expired claim taken over) and the client inserted together, and nothing is written when the key is
 * held already. A key is held for IDEMPOTENCY_KEY_TTL_HOURS. A held key is then read in a second round
 * trip: the same fields answer its client as existing (undefined when that client has been deleted
 * since); other fields throw IdempotencyKeyReusedError. At most two round trips, concurrent repeats
 * included: they wait on the key's primary key until the first commits.
 */
export async function createClientWithKey(db: Database, values: NewClient, key: string): Promise<Created | undefined> {
  const fingerprint = await fingerprintOf(values);
  try {
    return createdFrom(await withOneRetry(() => claimKeyAndInsert(db, values, key, fingerprint)));
  } catch (error) {
    // A held key leaves the client's id NULL, and the NOT NULL constraint refuses the whole statement.
    if (violatedNotNullColumn(error) !== clients.id.name) rethrowFieldConflict(error);
  }
  const [held] = await withOneRetry(() =>
    db
      .select({ fingerprint: idempotencyKeys.fingerprint, client: clients })
      .from(idempotencyKeys)
      .leftJoin(clients, and(eq(clients.userId, idempotencyKeys.userId), eq(clients.id, idempotencyKeys.clientId)))
      .where(and(eq(idempotencyKeys.userId, values.userId), eq(idempotencyKeys.key, key))),
  );
  // The key expired and was pruned between the two statements: a third would claim it afresh, but the
  // window is a few milliseconds once a day per key, so it is reported as the database's hiccup.
  if (!held) throw new DatabaseUnavailableError("the idempotency key expired while it was read");
  if (held.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError("the key was sent with other fields");
  return held.client ? { client: held.client } : undefined;
}

function claimKeyAndInsert(db: Database, { id, ...values }: NewClient, key: string, fingerprint: string) {
  const expired = lt(idempotencyKeys.createdAt, sql`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`);
  const claimed = db.$with("claimed").as(
    db
      .insert(idempotencyKeys)
      .values({ userId: values.userId, key, clientId: id, fingerprint })
      .onConflictDoUpdate({
        target: [idempotencyKeys.userId, idempotencyKeys.key],
        set: { clientId: id, fingerprint, createdAt: sql`now()` },
        setWhere: expired,
      })
      .returning({ clientId: idempotencyKeys.clientId }),
  );
  // SKIP LOCKED: concurrent creates prune different keys instead of waiting for each other.
  const pruned = db.$with("pruned").as(
    db
      .delete(idempotencyKeys)
      .where(
        sql`(${idempotencyKeys.userId}, ${idempotencyKeys.key}) in (select user_id, key from ${idempotencyKeys} where ${and(
          expired,
          sql`(user_id, key) <> (${values.userId}, ${key})`,
        )} order by created_at limit ${EXPIRED_KEYS_PRUNED_PER_CREATE} for update skip locked)`,
      )
      .returning({ key: idempotencyKeys.key }),
  );
  return recording(db, "created", inserted(db, { ...values, id: sql`(select ${claimed.clientId} from ${claimed})` }), [claimed, pruned]);
}

/** SHA-256 of the client's fields, absent and null alike, in name order: what makes two creates the same. */
async function fingerprintOf({ userId: _owner, id: _id, ...fields }: NewClientRow): Promise<string> {
  const given = Object.entries(fields).filter(([, value]) => value !== null && value !== undefined);
  const canonical = JSON.stringify(given.sort(([a], [b]) => (a < b ? -1 : 1)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The caller's clients, newest first, `limit` of them after `cursor` (a row's createdAt and id). */
export async function listClients(
  db: Database,
  userId: string,
  { limit, cursor }: { limit: number; cursor?: ListCursor },
): Promise<ClientRow[]> {
  const { firstPage, nextPage } = prepared(db);
  return withOneRetry(() =>
    cursor
      ? nextPage.execute({ userId, limit, afterCreatedAt: cursor.createdAt.toISOString(), afterId: cursor.id })
      : firstPage.execute({ userId, limit }),
  );
}

/**
 * Applies `fields` and returns the change (the new row in it), or undefined when there is no such client.
 * With `expected` versions, a client at another version throws StaleVersionError and is left as it is: one
 * round trip when the write applies, a second to tell a stale version from a missing client when it does not.
 */
export async function updateClient(
  db: Database,
  userId: string,
  id: string,
  fields: Partial<ClientFields>,
  expected?: ExpectedVersions,
): Promise<WrittenChange | undefined> {
  const names = Object.keys(fields).filter((name) => fields[name as ClientFieldName] !== undefined).sort();
  const conditional = expected !== undefined;
  const { updates } = prepared(db);
  const name = `update_client_${names.join("_")}${conditional ? "_if_at" : ""}`; // the shape's key here, and its statement's name
  const update = keptIn(updates, name, () => prepareUpdate(db, name, names, conditional));
  const params = { ...fields, userId, id, versions: expected };
  const change = changeOf("updated", await withOneRetry(() => update.execute(params)).catch(rethrowFieldConflict));
  if (!change && expected) await refuseIfPresent(db, userId, id);
  return change;
}

/** Deletes the client and returns the change (the row as it was), or undefined when there is none. `expected` as for updateClient. */
export async function deleteClient(db: Database, userId: string, id: string, expected?: ExpectedVersions): Promise<WrittenChange | undefined> {
  const { remove, removeIfAt } = prepared(db);
  const params = { userId, id, versions: expected };
  const change = changeOf("deleted", await withOneRetry(() => (expected ? removeIfAt : remove).execute(params)));
  if (!change && expected) await refuseIfPresent(db, userId, id);
  return change;
}

/** A conditional write changed nothing: if the client exists, its version was not the expected one. */
async function refuseIfPresent(db: Database, userId: string, id: string): Promise<void> {
  const current = await findClient(db, userId, id);
  if (current) throw new StaleVersionError(`the client is at version ${current.version}`);
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
