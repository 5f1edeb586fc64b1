import { sql } from "drizzle-orm";
import { bigint, boolean, index, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

// Constraint names are part of the contract: a unique violation is told apart by its constraint.
export const CLIENTS_PRIMARY_KEY = "clients_pkey";
export const CLIENTS_EMAIL_INDEX = "clients_user_id_email_key";

// Millisecond precision, so a JavaScript Date (and the list cursor built from it) is exact.
const millisecondTimestamp = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3 }).notNull().defaultNow();

// Every insert and every update of a client takes a new value: a row's version never repeats, not even
// for a client deleted and created again under the same id, so it can serve as the client's ETag.
export const clientVersions = pgSequence("client_versions");
export const nextClientVersion = sql`nextval('client_versions')`;

export const clients = pgTable(
  "clients",
  {
    userId: text("user_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    email: text("email"),
    phone: text("phone"),
    company: text("company"),
    createdAt: millisecondTimestamp("created_at"),
    updatedAt: millisecondTimestamp("updated_at"),
    version: bigint("version", { mode: "number" }).notNull().default(nextClientVersion),
  },
  (table) => [
    primaryKey({ name: CLIENTS_PRIMARY_KEY, columns: [table.userId, table.id] }),
    // NULLs never collide in a unique index, so clients without an email are unaffected.
    uniqueIndex(CLIENTS_EMAIL_INDEX).on(table.userId, sql`lower(${table.email})`),
    // Serves the newest-first list and its (created_at, id) cursor.
    index("clients_user_id_created_at_id_idx").on(table.userId, table.createdAt.desc(), table.id.desc()),
  ],
);

// An Idempotency-Key a caller sent with a create that had no id: which client it made, and a fingerprint
// of the request's fields, so a retry of that create is answered with that client and a different
// request under the same key is refused. Written in the same statement as the client it records.
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: text("user_id").notNull(),
    key: text("key").notNull(),
    clientId: text("client_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: millisecondTimestamp("created_at"),
  },
  (table) => [
    primaryKey({ name: "idempotency_keys_pkey", columns: [table.userId, table.key] }),
    // Serves pruning the expired keys, oldest first.
    index("idempotency_keys_created_at_idx").on(table.createdAt),
  ],
);

// The change log a user's tabs follow (GET /api/clients/changes and the live socket): one row per committed
// create, update or delete of a client, written by the same statement as the change. `seq` counts a user's
// changes 1, 2, 3, ... without gaps: each change takes the next value from the user's counter row, whose lock
// it holds until it commits, so a user's changes commit in `seq` order and a reader never passes one that
// is still to commit (docs/architecture.md, "The change log").
export const changeCounters = pgTable("client_change_counters", {
  userId: text("user_id").primaryKey(),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
  // Whether the user has live sockets open, kept by the user's UserFeed: a write reads it from the row it
  // updates anyway, and tells the UserFeed only then.
  watched: boolean("watched").notNull().default(false),
});

const CHANGE_OPS = ["created", "updated", "deleted"] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

export const clientChanges = pgTable(
  "client_changes",
  {
    userId: text("user_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    op: text("op", { enum: CHANGE_OPS }).notNull(),
    // The client as the change left it (for a delete, as it was): its columns by their SQL names.
    client: jsonb("client").notNull(),
    // The clock when the row is written, after the counter's lock is taken, unlike now() (the transaction's
    // start): so a user's changes are recorded in `seq` order and expire oldest first.
    recordedAt: timestamp("recorded_at", { withTimezone: true, precision: 3 }).notNull().default(sql`clock_timestamp()`),
  },
  (table) => [
    primaryKey({ name: "client_changes_pkey", columns: [table.userId, table.seq] }),
    // Serves pruning the expired changes.
    index("client_changes_recorded_at_idx").on(table.recordedAt),
  ],
);

export type ClientRow = typeof clients.$inferSelect;
export type NewClientRow = typeof clients.$inferInsert;

/** The columns a caller writes: all but the owner (the token's subject), the key and the server's bookkeeping. */
export type ClientFieldName = Exclude<keyof ClientRow, "userId" | "id" | "createdAt" | "updatedAt" | "version">;

/** The field each unique constraint other than the key guards, as a caller names it in a conflict. */
export const UNIQUE_FIELDS = { [CLIENTS_EMAIL_INDEX]: "email" } as const satisfies Record<string, ClientFieldName>;
