// The change log: how a write records itself in the same statement, and how a reader follows a user's log.
import { and, asc, eq, getTableColumns, gt, gte, lt, sql, type SQL, type WithSubquery } from "drizzle-orm";
import type { Database } from "./connection";
import { ChangePositionUnknownError } from "./errors";
import { withOneRetry } from "./retry";
import { changeCounters, clientChanges, clients, type ChangeOp, type ClientRow } from "./schema";

/** How long the log keeps a change: a reader further behind than this must reload the list. */
export const CHANGE_RETENTION_DAYS = 7;
// A change recorded before this is expired: readers no longer rely on it, and pruning removes it.
const keptSince = sql`now() - make_interval(days => ${CHANGE_RETENTION_DAYS})`;

/** One committed create, update or delete: the client as it left it (for a delete, as it was). */
export type Change = { seq: number; op: ChangeOp; client: ClientRow };

/** A change as its write made it, and whether the user had live sockets open then (so whom to tell). */
export type WrittenChange = Change & { watched: boolean };

type ClientColumns = ReturnType<typeof getTableColumns<typeof clients>>;
/** What a write's CTE returns: the client's row, and whether it counts as a change where not every row does. */
type WrittenFields = ClientColumns & { recorded?: SQL.Aliased<boolean> };

const COLUMNS = Object.entries(getTableColumns(clients));

/**
 * The statement that runs `written` (after the CTEs in `before`) and records the row it wrote as an `op` in its
 * owner's log. One statement, one round trip: a write that fails records nothing, and a write that commits has
 * its change committed with it. The row comes back with its `seq` and the user's `watched` mark, both null when
 * `recorded` says it was no change.
 * For single-row writes only: one statement cannot take a user's counter twice.
 */
export function recording(db: Database, op: ChangeOp, written: WithSubquery<"written">, before: WithSubquery[] = []) {
  // The CTE's fields are the table's columns (and `recorded`), read through the CTE's name.
  const { recorded: isChange, ...columns } = written._.selectedFields as unknown as WrittenFields;
  const recorded = isChange && sql`${isChange}`;
  // The first change of a user creates the counter; the others wait on its lock and take the next value.
  const counter = db.$with("counter").as(
    db
      .insert(changeCounters)
      .select(
        db
          .select({ userId: columns.userId, lastSeq: sql<number>`1`.as("last_seq"), watched: sql<boolean>`false`.as("watched") })
          .from(written)
          .where(recorded),
      )
      .onConflictDoUpdate({ target: changeCounters.userId, set: { lastSeq: sql`${changeCounters.lastSeq} + 1` } })
      .returning({ seq: changeCounters.lastSeq, watched: changeCounters.watched }),
  );
  const logged = db.$with("logged").as(
    db
      .insert(clientChanges)
      .select(
        db
          .select({
            userId: columns.userId,
            seq: counter.seq,
            op: sql<ChangeOp>`${op}`.as("op"),
            // The row by its SQL column names, without the CTE's own `recorded`.
            client: sql`to_jsonb(${written}) - 'recorded'`.as("client"),
            recordedAt: sql<Date>`clock_timestamp()`.as("recorded_at"),
          })
          .from(written)
          .innerJoin(counter, sql`true`),
      )
      .returning({ seq: clientChanges.seq }),
  );
  return db
    .with(...before, written, counter, logged)
    .select({ ...columns, seq: logged.seq, watched: counter.watched })
    .from(written)
    .leftJoin(logged, sql`true`)
    .leftJoin(counter, sql`true`);
}

/** A client row from the log's JSON of it, typed as the table's columns read it. */
function clientFromJson(json: Record<string, unknown>): ClientRow {
  const row = COLUMNS.map(([key, column]) => {
    const value = json[column.name];
    return [key, value === null ? null : column.mapFromDriverValue(value)];
  });
  return Object.fromEntries(row) as ClientRow;
}

/**
 * The user's changes after position `after`, oldest first, at most `limit`, and the user's last position
 * (without `after`, only that). A position the log no longer keeps all changes after (older than
 * CHANGE_RETENTION_DAYS), or one it never reached, throws ChangePositionUnknownError: the reader has to reload.
 */
export async function changesAfter(
  db: Database,
  userId: string,
  { after, limit }: { after?: number; limit: number },
): Promise<{ changes: Change[]; last: number }> {
  if (after === undefined) {
    const [counter] = await withOneRetry(() =>
      db.select({ last: changeCounters.lastSeq }).from(changeCounters).where(eq(changeCounters.userId, userId)),
    );
    return { changes: [], last: counter?.last ?? 0 };
  }
  const page = db
    .select({ seq: clientChanges.seq, op: clientChanges.op, client: clientChanges.client })
    .from(clientChanges)
    .where(and(eq(clientChanges.userId, userId), gt(clientChanges.seq, after)))
    .orderBy(asc(clientChanges.seq))
    .limit(limit)
    .as("page");
  // One statement, so one snapshot: the last position, the oldest change kept and the page agree.
  const rows = await withOneRetry(() =>
    db
      .select({
        last: changeCounters.lastSeq,
        oldestKept: sql<number | null>`(select min(${clientChanges.seq}) from ${clientChanges} where ${and(
          eq(clientChanges.userId, userId),
          gte(clientChanges.recordedAt, keptSince),
        )})`.mapWith(Number),
        seq: page.seq,
        op: page.op,
        client: page.client,
      })
      .from(changeCounters)
      .leftJoinLateral(page, sql`true`)
      .where(eq(changeCounters.userId, userId))
      .orderBy(asc(page.seq)),
  );
  const last = rows[0]?.last ?? 0;
  const oldestKept = rows[0]?.oldestKept ?? null;
  // Expired changes go oldest first (recorded_at follows seq), so all after `after` are kept if the oldest kept one follows it.
  const kept = after === last || (after < last && oldestKept !== null && after >= oldestKept - 1);
  if (!kept) throw new ChangePositionUnknownError(`position ${after} is not in the log, which is at ${last}`);
  const changes = rows.flatMap(({ seq, op, client }) =>
    seq === null || op === null ? [] : [{ seq, op, client: clientFromJson(client as Record<string, unknown>) }],
  );
  return { changes, last };
}

/**
 * Records whether the user has live sockets open; the user's UserFeed calls it as sockets come and go. It takes
 * the counter row's lock, as writes do: a write that commits after it sees the new value, and one that
 * committed before it is in the log, where a socket that has just opened catches up.
 */
export async function setWatched(db: Database, userId: string, watched: boolean): Promise<void> {
  await withOneRetry(() =>
    db
      .insert(changeCounters)
      .values({ userId, lastSeq: 0, watched })
      .onConflictDoUpdate({ target: changeCounters.userId, set: { watched } }),
  );
}

/** Removes the changes older than CHANGE_RETENTION_DAYS; returns how many. Readers stop relying on them before. */
export async function pruneChanges(db: Database): Promise<number> {
  const { rowCount } = await withOneRetry(() => db.delete(clientChanges).where(lt(clientChanges.recordedAt, keptSince)));
  return rowCount ?? 0;
}
