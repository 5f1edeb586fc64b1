// GET /api/clients/changes at its edges: the positions it refuses, the log's retention, paging, and pruning.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, lte, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { CHANGE_RETENTION_DAYS, pruneChanges } from "../../src/db/changes";
import { clientChanges } from "../../src/db/schema";
import worker from "../../src/index";
import { type ChangePage, changesPage, createClient, expectProblem, newUser, testDatabase, type User } from "../support/api";

async function expectPositionUnknown(user: User, after: number) {
  const problem = await expectProblem(await user.call("GET", `/api/clients/changes?after=${after}`), 410);
  expect(problem.type).toBe("urn:clients-api:problem:position-unknown");
}

/** A user with `count` changes: creates, so change n is the n-th client. */
async function userWithChanges(count: number) {
  const user = await newUser();
  for (let n = 0; n < count; n++) await createClient(user, { name: `Client ${n + 1}` });
  return user;
}

/** Makes the user's changes up to `seq` look `days` (and `mins`) old, as if recorded then. Only this user's rows. */
async function ageChanges(user: User, seq: number, days: number, mins = 0) {
  await testDatabase()
    .update(clientChanges)
    .set({ recordedAt: sql`now() - make_interval(days => ${days}, mins => ${mins})` })
    .where(and(eq(clientChanges.userId, user.id), lte(clientChanges.seq, seq)));
}

const seqsOf = (page: ChangePage) => page.changes.map((change) => change.seq);

describe("GET /api/clients/changes", () => {
  it.each([["-1"], ["1e3"], ["abc"], ["1.5"], [" 1"], [String(Number.MAX_SAFE_INTEGER + 1)]])(
    "400 naming /after for after=%s",
    async (after) => {
      const user = await newUser();
      const problem = await expectProblem(await user.call("GET", `/api/clients/changes?after=${encodeURIComponent(after)}`), 400);
      // A value can break two rules (an unsafe integer is also over the maximum): each names /after.
      expect(new Set(problem.errors?.map((error) => error.pointer))).toEqual(new Set(["/after"]));
    },
  );

  it("410 for a position beyond the last, for a user with changes and one without", async () => {
    const user = await userWithChanges(2);
    expect(await changesPage(user, "?after=2")).toEqual({ changes: [], next: 2 });
    await expectPositionUnknown(user, 3);
    const newcomer = await newUser();
    expect(await changesPage(newcomer, "?after=0")).toEqual({ changes: [], next: 0 });
    await expectPositionUnknown(newcomer, 1);
  });

  it("pages through the changes `limit` at a time, each page continuing from the last one's `next`", async () => {
    const user = await userWithChanges(5);
    const pages: number[][] = [];
    let page: ChangePage = { changes: [], next: 0 };
    do {
      page = await changesPage(user, `?after=${page.next}&limit=2`);
      pages.push(seqsOf(page));
    } while (page.changes.length > 0);
    expect(pages).toEqual([[1, 2], [3, 4], [5], []]);
    expect(page.next).toBe(5);
    expect(seqsOf(await changesPage(user, "?after=1&limit=3"))).toEqual([2, 3, 4]);
  });

  it(`410 for a position older than ${CHANGE_RETENTION_DAYS} days of changes, 200 from the oldest kept one on`, async () => {
    const user = await userWithChanges(5);
    await ageChanges(user, 2, CHANGE_RETENTION_DAYS + 1);
    await expectPositionUnknown(user, 0);
    await expectPositionUnknown(user, 1);
    // After 2, every change is kept: a reader there, or caught up, misses nothing.
    expect(seqsOf(await changesPage(user, "?after=2"))).toEqual([3, 4, 5]);
    expect(await changesPage(user, "?after=5")).toEqual({ changes: [], next: 5 });
    expect(await changesPage(user, "")).toEqual({ changes: [], next: 5 });
  });

  it("answers a caught-up reader 200 even when all of the user's changes have expired", async () => {
    const user = await userWithChanges(2);
    await ageChanges(user, 2, CHANGE_RETENTION_DAYS + 1);
    await expectPositionUnknown(user, 1);
    expect(await changesPage(user, "?after=2")).toEqual({ changes: [], next: 2 });
  });
});

describe("pruneChanges", () => {
  it(`removes the changes older than ${CHANGE_RETENTION_DAYS} days and keeps the rest`, async () => {
    const user = await userWithChanges(4);
    await ageChanges(user, 2, CHANGE_RETENTION_DAYS + 1);
    const db = testDatabase();
    const userRows = () => db.select({ seq: clientChanges.seq }).from(clientChanges).where(eq(clientChanges.userId, user.id)).orderBy(clientChanges.seq);
    // Other tests' expired rows may go too: only this user's are counted on.
    expect(await pruneChanges(db)).toBeGreaterThanOrEqual(2);
    expect(await userRows()).toEqual([{ seq: 3 }, { seq: 4 }]);
    // Just inside the retention: kept.
    await ageChanges(user, 3, CHANGE_RETENTION_DAYS - 1);
    await pruneChanges(db);
    expect(await userRows()).toEqual([{ seq: 3 }, { seq: 4 }]);
    // Pruned changes answer as expired ones did; the kept ones as before.
    await expectPositionUnknown(user, 1);
    expect(seqsOf(await changesPage(user, "?after=2"))).toEqual([3, 4]);
  });

  it("runs daily from the cron trigger, removing the changes older than the log keeps and only those", async () => {
    const user = await userWithChanges(2);
    // The first change a minute past the retention, the second a minute inside it.
    await ageChanges(user, 2, CHANGE_RETENTION_DAYS, -1);
    await ageChanges(user, 1, CHANGE_RETENTION_DAYS, 1);

    await worker.scheduled(createScheduledController(), env);

    const left = await testDatabase().select({ seq: clientChanges.seq }).from(clientChanges).where(eq(clientChanges.userId, user.id));
    expect(left).toEqual([{ seq: 2 }]);
  });
});
