// Fault drill: a steady load of concurrent creates (two writers per id) runs while the database goes
// away and comes back, so requests are in flight when it stops, sent while it is down, racing its
// restart and sent after it. Each answers 201, 200 or 503: never 500, never a hang. Afterwards every
// id that got 201 or 200 holds its first writer's fields, no id has two rows, and every request that
// got 503 succeeds when retried. The same drill replays creates without an id under Idempotency-Keys:
// each key makes one client, and every answer for a key is that client.
import { describe, expect, it } from "vitest";
import { setGateway } from "../support/gateway-control";
import { clientOf, type ClientJson, listAll, newUser, type User } from "../support/api";

const LANES = 6;
const WRITERS_PER_ID = 2;
/** How much of each phase the drill waits to see before moving on. */
const ANSWERS_PER_PHASE = 12;
// A liveness bound, not a speed target: far above the worker's own limit (two attempts, each at most
// DB_TIMEOUT_MS per round trip), so only a request or a phase that never ends trips it.
const NO_ANSWER_AFTER_MS = 30_000;

const POLL_MS = 10;

/** When the request was sent, relative to the outage. */
type Phase = "before" | "stopping" | "down" | "restarting" | "after";
/** `id`: the client's id, or for a keyed create the Idempotency-Key. */
type Attempt = { phase: Phase; id: string; name: string; status: number; client?: ClientJson };

async function answerWithin<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${NO_ANSWER_AFTER_MS} ms`)), NO_ANSWER_AFTER_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** What one request answered: its status, and the client unless it was a 503. */
async function answerOf(response: Response, what: string): Promise<{ status: number; client?: ClientJson }> {
  expect([200, 201, 503], `${what}: ${response.status}`).toContain(response.status);
  if (response.status !== 503) return { status: response.status, client: await clientOf(response) };
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
  await response.body?.cancel();
  return { status: 503 };
}

async function create(user: User, phase: Phase, id: string, name: string): Promise<Attempt> {
  const what = `POST ${id} (${phase})`;
  const response = await answerWithin(user.call("POST", "/api/clients", { body: { id, name } }), what);
  const attempt: Attempt = { phase, id, name, ...(await answerOf(response, what)) };
  if (attempt.client) expect(attempt.client.id).toBe(id);
  return attempt;
}

/** A create without an id, under an Idempotency-Key: `id` names the key here. */
async function createWithKey(user: User, phase: Phase, key: string, name: string): Promise<Attempt> {
  const what = `POST with key ${key} (${phase})`;
  const response = await answerWithin(user.call("POST", "/api/clients", { body: { name }, headers: { "Idempotency-Key": key } }), what);
  return { phase, id: key, name, ...(await answerOf(response, what)) };
}

const sameRow = (a: ClientJson | undefined, b: ClientJson) => a?.name === b.name && a.createdAt === b.createdAt;

/**
 * Runs `LANES` lanes of `send`, each sending one key (an id, an idempotency key) after another by
 * `WRITERS_PER_ID` writers at once, while the database is stopped and started again; then retries every
 * 503 once it is back. Returns every attempt, retries included, and the retries alone.
 */
async function throughOutage(user: User, send: typeof create, name: (key: string, writer: number) => string) {
  const attempts: Attempt[] = [];
  let phase: Phase = "before";
  let running = true;
  let nextKey = 0;
  const answered = (wanted: Phase, ok: boolean) =>
    attempts.filter((attempt) => attempt.phase === wanted && (attempt.status !== 503) === ok).length;

  let laneFailure: unknown;

  const lanes = Array.from({ length: LANES }, async () => {
    try {
      while (running) {
        const key = `drill-${nextKey++}`;
        const sentIn = phase;
        const writers = Array.from({ length: WRITERS_PER_ID }, (_, writer) => send(user, sentIn, key, name(key, writer)));
        attempts.push(...(await Promise.all(writers)));
      }
    } catch (error) {
      laneFailure ??= error;
      running = false;
    }
  });
  const until = (condition: () => boolean, what: string) =>
    answerWithin(
      (async () => {
        while (!condition()) {
          if (laneFailure) throw laneFailure;
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      })(),
      what,
    );

  try {
    await until(() => answered("before", true) >= ANSWERS_PER_PHASE, "creates before the outage");
    phase = "stopping";
    await setGateway("down");
    phase = "down";
    await until(() => answered("down", false) >= ANSWERS_PER_PHASE, "503s during the outage");
    phase = "restarting";
    await setGateway("up");
    phase = "after";
    await until(() => answered("after", true) >= ANSWERS_PER_PHASE, "creates after the restart");
  } finally {
    running = false;
    await Promise.all(lanes);
    await setGateway("up");
  }
  if (laneFailure) throw laneFailure;

  // Once the database is back, creates succeed at once, and so does every refused one when retried.
  expect(attempts.filter((attempt) => attempt.phase === "after" && attempt.status === 503)).toEqual([]);
  // One at a time, as the clients that got them would: all at once, on a loaded machine, their round trips
  // could wait in line past the database timeout and be refused once more.
  const retried: Attempt[] = [];
  for (const attempt of attempts.filter((answer) => answer.status === 503)) retried.push(await send(user, "after", attempt.id, attempt.name));
  expect(retried.filter((attempt) => attempt.status === 503)).toEqual([]);
  return { attempts: [...attempts, ...retried], retried };
}

describe("fault drill", () => {
  it("creates under load through a database outage answer 201/200/503 and keep first writers' rows", { timeout: 120_000 }, async () => {
    const user = await newUser();
    const { attempts } = await throughOutage(user, create, (id, writer) => `${id} writer ${writer}`);

    const stored = await listAll(user);
    const storedIds = stored.map((client) => client.id);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect(new Set(storedIds)).toEqual(new Set(attempts.map((attempt) => attempt.id)));

    const successes = attempts.filter((attempt) => attempt.status !== 503);
    for (const row of stored) {
      const forId = successes.filter((attempt) => attempt.id === row.id);
      const created = forId.filter((attempt) => attempt.status === 201);
      expect(created.length, `${row.id}: answers 201`).toBeLessThanOrEqual(1);
      // The first writer is the one that got 201. Without one (its insert committed but the answer was
      // lost in the outage), it is still one of this id's writers, and every later answer returned its row.
      if (created[0]) expect(row.name).toBe(created[0].name);
      else expect(attempts.filter((attempt) => attempt.id === row.id).map((attempt) => attempt.name)).toContain(row.name);
      for (const attempt of forId) expect(sameRow(attempt.client, row), `${row.id} (${attempt.phase})`).toBe(true);
    }
  });

  it("an Idempotency-Key replayed through a database outage makes one client, and every answer is that client", { timeout: 120_000 }, async () => {
    const user = await newUser();
    // Every writer of a key sends the same fields, as a client retrying one request does.
    const { attempts } = await throughOutage(user, createWithKey, (key) => `Client of ${key}`);

    const stored = await listAll(user);
    const keys = new Set(attempts.map((attempt) => attempt.id));
    expect(stored).toHaveLength(keys.size);
    for (const key of keys) {
      const answers = attempts.filter((attempt) => attempt.id === key && attempt.client);
      expect(answers.filter((attempt) => attempt.status === 201).length, `${key}: answers 201`).toBeLessThanOrEqual(1);
      const [row, ...others] = new Set(answers.map((attempt) => attempt.client!.id));
      expect(others, `${key}: answered with more than one client`).toEqual([]);
      expect(stored.find((client) => client.id === row), `${key}: its client is stored`).toMatchObject({ name: `Client of ${key}` });
    }
  });
});
