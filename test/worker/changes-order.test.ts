// The change log's promise under concurrent writers: a reader that keeps asking for the changes after the last
// one it saw gets every change exactly once, in seq order 1, 2, 3, ... — no gap (a change committed after a
// later one was read) and no repeat. Real concurrency needs PostgreSQL (DATABASE_URL); PGlite runs it serially.
// Commits are stalled (stallCommits) to make a wrong order show: with seqs from a plain sequence, which does not
// order commits, unstalled runs missed no change in 3 runs; stalled ones missed some in each of 4.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { ChangeJson } from "../../src/http/change-json";
import { PAGE_SIZE } from "../../src/http/request-schemas";
import { changesPage, clientOf, newUser, randomId, testDatabase, type User } from "../support/api";

const WRITERS = 4;
const ROUNDS_PER_WRITER = 15;
const READERS = 2;
// The longest a change of the test's user may stall between taking its seq and committing.
const STALL_SECONDS = 0.02;

/** What a change says about its client, as the writer's response told it. */
type Written = { op: ChangeJson["op"]; id: string; etag: string };

/** Creates, updates and deletes its own clients, one request at a time; returns the changes it made. */
async function writer(user: User, name: string): Promise<Written[]> {
  const written: Written[] = [];
  for (let round = 0; round < ROUNDS_PER_WRITER; round++) {
    const id = randomId(name);
    const created = await user.call("POST", "/api/clients", { body: { id, name: `${name} ${round}` } });
    expect(created.status).toBe(201);
    written.push({ op: "created", id, etag: (await clientOf(created)).etag });
    const updated = await user.call("PATCH", `/api/clients/${id}`, { body: { company: "ACME" } });
    expect(updated.status).toBe(200);
    written.push({ op: "updated", id, etag: updated.headers.get("ETag")! });
    const deleted = await user.call("DELETE", `/api/clients/${id}`);
    expect(deleted.status).toBe(204);
    written.push({ op: "deleted", id, etag: updated.headers.get("ETag")! });
  }
  return written;
}

/** Follows the log from the start while the writers run, and until it has reached the log's end after they stopped. */
async function reader(user: User, writing: Promise<unknown>): Promise<ChangeJson[]> {
  let stopped = false;
  const stop = () => void (stopped = true);
  void writing.then(stop, stop);
  const seen: ChangeJson[] = [];
  let position = 0;
  for (;;) {
    // Read whether the writers had stopped before the page: a page read after that is complete.
    const final = stopped;
    const page = await changesPage(user, `?after=${position}&limit=${PAGE_SIZE.max}`);
    seen.push(...page.changes);
    position = page.next;
    if (final && page.changes.length === 0) return seen;
  }
}

/**
 * Stalls each change of `userId` for a random moment after its row is formed, seq included, and before it is
 * written and committed, as a slow disk or a busy server would: commits then finish out of seq order unless the
 * log orders them. A trigger of the test's own, on that user's rows only; returns what removes it.
 */
async function stallCommits(userId: string): Promise<() => Promise<void>> {
  const db = testDatabase();
  const name = `stall_${crypto.randomUUID().replaceAll("-", "")}`;
  await db.execute(
    sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin perform pg_sleep(random() * ${STALL_SECONDS}); return new; end $$`),
  );
  await db.execute(
    sql.raw(`create trigger ${name} before insert on client_changes for each row when (new.user_id = '${userId}') execute function ${name}()`),
  );
  return async () => {
    await db.execute(sql.raw(`drop trigger ${name} on client_changes`));
    await db.execute(sql.raw(`drop function ${name}()`));
  };
}

const byWrite = (a: Written, b: Written) => `${a.id} ${a.op}`.localeCompare(`${b.id} ${b.op}`);

describe("following the change log while writers race", () => {
  it("gives every reader seqs 1..total, each once, in order, matching the final log and the writes", { timeout: 120_000 }, async () => {
    const user = await newUser();
    const unstall = await stallCommits(user.id);
    const writing = Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(user, `w${n}`)));
    const reading = Promise.all(Array.from({ length: READERS }, () => reader(user, writing)));
    const written = (await writing.finally(unstall)).flat();
    const readings = await reading;

    const total = WRITERS * ROUNDS_PER_WRITER * 3;
    const allSeqs = Array.from({ length: total }, (_, n) => n + 1);
    const finalLog = await reader(user, Promise.resolve());
    expect(finalLog.map((change) => change.seq)).toEqual(allSeqs);
    for (const seen of readings) {
      const seqs = seen.map((change) => change.seq);
      const missed = allSeqs.filter((seq) => !seqs.includes(seq));
      expect(seqs, `the reader missed ${missed.join(", ") || "none"}`).toEqual(allSeqs);
      expect(seen).toEqual(finalLog);
    }
    // The log holds exactly the writes that were answered, each with the ETag its response gave.
    const logged = finalLog.map(({ op, client }) => ({ op, id: client.id, etag: client.etag }));
    expect(logged.sort(byWrite)).toEqual(written.sort(byWrite));
  });
});
