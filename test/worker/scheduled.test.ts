// The daily cron trigger prunes the change log: what it keeps and what it removes.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { CHANGE_RETENTION_DAYS } from "../../src/db/changes";
import { clientChanges } from "../../src/db/schema";
import worker from "../../src/index";
import { createClient, newUser, testDatabase } from "../support/api";

it("removes the changes older than the log keeps, and only those", async () => {
  const user = await newUser();
  await createClient(user, { id: "first" });
  await createClient(user, { id: "second" });
  const db = testDatabase();
  const ofUser = eq(clientChanges.userId, user.id);
  // The first change a minute past the retention, the second a minute inside it.
  const aged = (minutes: number) => sql`now() - make_interval(days => ${CHANGE_RETENTION_DAYS}, mins => ${minutes})`;
  await db.update(clientChanges).set({ recordedAt: aged(1) }).where(and(ofUser, eq(clientChanges.seq, 1)));
  await db.update(clientChanges).set({ recordedAt: aged(-1) }).where(and(ofUser, eq(clientChanges.seq, 2)));

  await worker.scheduled(createScheduledController(), env);

  const left = await db.select({ seq: clientChanges.seq }).from(clientChanges).where(ofUser);
  expect(left).toEqual([{ seq: 2 }]);
});
