// The database paths without the worker: the project's own query functions, run from Node through the
// unmodified Neon driver against the gateway. Statuses are the ones the API would give each outcome.
import { and, eq, like } from "drizzle-orm";
import { createDb, type Database } from "../src/db/connection";
import { createClient, findClient } from "../src/db/clients";
import { violatedUniqueConstraint } from "../src/db/errors";
import { CLIENTS_PRIMARY_KEY, clients, type ClientRow } from "../src/db/schema";
import type { Answer, Target } from "./scenarios";

const seen = (row: ClientRow) => ({ id: row.id, name: row.name, createdAt: row.createdAt.toISOString() });

async function read(db: Database, userId: string, id: string): Promise<Answer> {
  const row = await findClient(db, userId, id);
  return row ? { status: 200, client: seen(row) } : { status: 404 };
}

export function connectDriver(gatewayUrl: string, databaseUrl: string, timeoutMs: number) {
  const db = createDb({ url: databaseUrl, fetchEndpoint: gatewayUrl, timeoutMs });
  return {
    countRows: (userId: string, idPrefix: string) =>
      db.$count(clients, and(eq(clients.userId, userId), like(clients.id, `${idPrefix}%`))),

    /** POST and GET through the very query functions the worker's routes call. */
    raceSafeTarget: (userId: string): Target => ({
      create: async (input) => {
        const { client, change } = await createClient(db, { userId, ...input });
        return { status: change ? 201 : 200, client: seen(client) };
      },
      read: (id) => read(db, userId, id),
    }),

    /**
     * The design the API exists to replace: look first, insert when nothing is there. Concurrent
     * creates of one id all see "no row"; each insert that then loses the race is what such an API
     * answers with a 500.
     */
    checkThenInsertTarget: (userId: string): Target => ({
      create: async (input) => {
        const existing = await findClient(db, userId, input.id);
        if (existing) return { status: 200, client: seen(existing) };
        try {
          const [row] = await db.insert(clients).values({ userId, ...input }).returning();
          return { status: 201, client: seen(row!) };
        } catch (error) {
          if (violatedUniqueConstraint(error) === CLIENTS_PRIMARY_KEY) return { status: 500 };
          throw error;
        }
      },
      read: (id) => read(db, userId, id),
    }),
  };
}
