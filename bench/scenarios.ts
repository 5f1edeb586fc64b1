// The four scenarios of the benchmark, written once against `Target` so that the worker, the driver
// baseline and the "check, then insert" variant run exactly the same traffic.
import { countStatuses, inPool, latency, timed, type Latency, type Sample, type Status } from "./load";

/** The part of a returned client that tells whose write it is. */
export type ClientSeen = { id: string; name: string; createdAt: string; etag?: string };

export type Answer = { status: Status; client?: ClientSeen };

export interface Target {
  /** Answers 201 for a new row, 200 with the stored row for an existing one. */
  create(input: { id: string; name: string }): Promise<Answer>;
  read(id: string): Promise<Answer>;
}

export type ScenarioRun = {
  scenario: ScenarioKey;
  requests: number;
  wallMs: number;
  statuses: Record<string, number>;
  expectedStatuses: Record<string, number>;
  latency: Latency;
  requestsPerSecond: number;
  /** Ids whose rows this scenario is about, and how many rows they must have afterwards. */
  rowIdPrefix: string;
  expectedRows: number;
  /** Everything that makes the scenario fail besides its status counts; for races, one entry per id. */
  problems: string[];
};

export type ScenarioKey = "burst" | "one-id" | "distinct" | "reads";

export const SCENARIO_TITLES: Record<ScenarioKey, string> = {
  burst: "1. chat burst: 3 creates x N ids",
  "one-id": "2. one id, N creates at once",
  distinct: "3. distinct creates, conc 50",
  reads: "4. reads of existing, conc 50",
};

export type Sizes = { burstIds: number; oneIdCreates: number; distinctCreates: number; reads: number; concurrency: number };

export const BURST_WIDTH = 3;

export function sizesFor(scale: number): Sizes {
  const scaled = (n: number) => Math.max(2, Math.round(n * scale));
  return { burstIds: scaled(200), oneIdCreates: scaled(200), distinctCreates: scaled(2000), reads: scaled(2000), concurrency: 50 };
}

export type Answered = Sample & { client?: ClientSeen; sentName?: string };

/** One timed request, with the client it answered with (and the name it sent, for the race rules). */
export async function call(request: () => Promise<Answer>, sentName?: string): Promise<Answered> {
  let client: ClientSeen | undefined;
  const sample = await timed(async () => {
    const answer = await request();
    client = answer.client;
    return answer.status;
  });
  return { ...sample, client, sentName };
}

const sameClient = (a?: ClientSeen, b?: ClientSeen) =>
  a !== undefined && b !== undefined && a.id === b.id && a.name === b.name && a.createdAt === b.createdAt;

/**
 * The race rules for one group of concurrent creates of one id: exactly one 201, every other answer
 * 200, and all of them the same stored row carrying the 201 request's fields (the first writer's).
 * At most one entry per group, so the entries count the ids that broke a rule.
 */
function raceProblems(label: string, group: readonly Answered[]): string[] {
  const reasons: string[] = [];
  const failed = group.filter((answer) => answer.status !== 201 && answer.status !== 200);
  if (failed.length > 0) reasons.push(`${failed.length} answers neither 201 nor 200`);
  const created = group.filter((answer) => answer.status === 201);
  const [winner] = created;
  if (created.length !== 1 || !winner) {
    reasons.push(`${created.length} answers 201, expected exactly 1`);
  } else if (winner.client?.name !== winner.sentName) {
    reasons.push("the 201 body does not carry its own request's name");
  } else {
    const strays = group.filter((answer) => answer.status === 200 && !sameClient(answer.client, winner.client)).length;
    if (strays > 0) reasons.push(`${strays} answers 200 with a row other than the first writer's`);
  }
  return reasons.length > 0 ? [`${label}: ${reasons.join("; ")}`] : [];
}

function summarise(
  scenario: ScenarioKey,
  answers: readonly Answered[],
  wallMs: number,
  expected: Pick<ScenarioRun, "expectedStatuses" | "rowIdPrefix" | "expectedRows" | "problems">,
): ScenarioRun {
  return {
    scenario,
    requests: answers.length,
    wallMs,
    statuses: countStatuses(answers),
    latency: latency(answers),
    requestsPerSecond: answers.length / (wallMs / 1000),
    ...expected,
  };
}

async function wallClock<R>(work: () => Promise<R>): Promise<[R, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Scenario 1: bursts of three creates of one id, the bursts one after another as chats open. */
export async function chatBursts(target: Target, idPrefix: string, sizes: Sizes): Promise<ScenarioRun> {
  const ids = range(sizes.burstIds).map((i) => `${idPrefix}${i}`);
  const [bursts, wallMs] = await wallClock(async () => {
    const all: Answered[][] = [];
    for (const id of ids) {
      const names = range(BURST_WIDTH).map((tab) => `Chat ${id} tab ${tab}`);
      all.push(await Promise.all(names.map((name) => call(() => target.create({ id, name }), name))));
    }
    return all;
  });
  return summarise("burst", bursts.flat(), wallMs, {
    expectedStatuses: { 201: ids.length, 200: ids.length * (BURST_WIDTH - 1) },
    rowIdPrefix: idPrefix,
    expectedRows: ids.length,
    problems: bursts.flatMap((burst, i) => raceProblems(`burst ${ids[i]}`, burst)),
  });
}

/** Scenario 2: every create of one id at the same moment. */
export async function oneIdStampede(target: Target, idPrefix: string, sizes: Sizes): Promise<ScenarioRun> {
  const id = `${idPrefix}0`;
  const names = range(sizes.oneIdCreates).map((i) => `Stampede writer ${i}`);
  const [answers, wallMs] = await wallClock(() => Promise.all(names.map((name) => call(() => target.create({ id, name }), name))));
  return summarise("one-id", answers, wallMs, {
    expectedStatuses: { 201: 1, 200: answers.length - 1 },
    rowIdPrefix: idPrefix,
    expectedRows: 1,
    problems: raceProblems(`id ${id}`, answers),
  });
}

/** Scenario 3: new clients only. Returns the ids for scenario 4. */
export async function distinctCreates(target: Target, idPrefix: string, sizes: Sizes): Promise<[ScenarioRun, string[]]> {
  const ids = range(sizes.distinctCreates).map((i) => `${idPrefix}${i}`);
  const [answers, wallMs] = await wallClock(() =>
    inPool(ids, sizes.concurrency, (id) => call(() => target.create({ id, name: `Client ${id}` }), `Client ${id}`)),
  );
  const misnamed = answers.filter((answer) => answer.status === 201 && answer.client?.name !== answer.sentName).length;
  const run = summarise("distinct", answers, wallMs, {
    expectedStatuses: { 201: ids.length },
    rowIdPrefix: idPrefix,
    expectedRows: ids.length,
    problems: misnamed > 0 ? [`${misnamed} answers 201 with a name other than the one sent`] : [],
  });
  return [run, ids];
}

/** Scenario 4: reads spread over the clients scenario 3 created. */
export async function readsOfExisting(target: Target, existingIds: readonly string[], idPrefix: string, sizes: Sizes): Promise<ScenarioRun> {
  const ids = range(sizes.reads).map((i) => existingIds[i % existingIds.length] as string);
  const [answers, wallMs] = await wallClock(() => inPool(ids, sizes.concurrency, (id) => call(() => target.read(id))));
  const wrongRow = answers.filter((answer, i) => answer.status === 200 && answer.client?.id !== ids[i]).length;
  return summarise("reads", answers, wallMs, {
    expectedStatuses: { 200: ids.length },
    rowIdPrefix: idPrefix,
    expectedRows: existingIds.length,
    problems: wrongRow > 0 ? [`${wrongRow} reads answered 200 with another id's row`] : [],
  });
}
