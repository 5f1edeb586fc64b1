// Every statement of the data layer (src/db/clients.ts, src/db/changes.ts) is planned on indexes and never as a
// sequential scan of `clients` or of the change log, on tables large enough that a scan would be the cheaper plan
// for a query no index serves. The statements are the ones Drizzle really sends, recorded by its logger while the query
// functions run through the gateway, and explained by PostgreSQL with the same parameters.
// src/db is written for Workers and names fetch's DOM types (RequestInfo).
/// <reference lib="dom" />
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../../local/tooling/scratch-database";
import { startNeonGateway, type NeonGateway } from "../../local/gateway/gateway";
import type { Database } from "../../src/db/connection";
import { CHANGE_RETENTION_DAYS, changesAfter, pruneChanges } from "../../src/db/changes";
import { createClient, createClientWithKey, deleteClient, findClient, listClients, updateClient } from "../../src/db/clients";
import { databaseUrl, isPostgres, uniqueName } from "../support/node/gateway-fixture";

const USERS = 500;
const ROWS = 50_000;
const HEAVY_USER = "plans-heavy-user";
// The tables no statement may scan whole: a user's rows, and the log every write appends to and readers follow.
const SCANNED_NEVER = ["clients", "client_changes", "client_change_counters"];

type Statement = { query: string; params: unknown[] };

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

// PGlite is one in-process database with no planner statistics worth the name; plans are a property
// of the real server, which CI's PostgreSQL pass provides.
describe.runIf(isPostgres)("query plans of the data layer on PostgreSQL", () => {
  let database: ScratchDatabase;
  let gateway: NeonGateway;
  let explainer: pg.Client;
  let db: Database;
  const recorded: Statement[] = [];

  /** Runs one query function and returns the statements it sent. */
  async function statementsOf(call: () => Promise<unknown>): Promise<Statement[]> {
    const from = recorded.length;
    await call();
    return recorded.slice(from);
  }

  async function planOf({ query, params }: Statement): Promise<PlanNode[]> {
    const { rows } = await explainer.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${query}`, params);
    return flatten(rows[0]!["QUERY PLAN"][0].Plan);
  }

  const shapeOf = (nodes: PlanNode[]) => nodes.map((node) => `${node["Node Type"]} ${node["Index Name"] ?? node["Relation Name"] ?? ""}`).join(" > ");

  /** The statement's plan scans none of SCANNED_NEVER sequentially. */
  async function expectNoScan(statement: Statement): Promise<PlanNode[]> {
    const nodes = await planOf(statement);
    const scanned = nodes.filter((node) => node["Node Type"] === "Seq Scan").map((node) => node["Relation Name"]);
    expect(scanned.filter((table) => SCANNED_NEVER.includes(table!)), shapeOf(nodes)).toEqual([]);
    return nodes;
  }

  /**
   * The statement's plan reads through an index, never a sequential scan; for a list page, in the index's
   * order, with no sort: a page then costs its own rows, not all of the user's.
   */
  async function expectIndexed(statement: Statement, { ordered = false } = {}): Promise<void> {
    const nodes = await expectNoScan(statement);
    expect(nodes.some((node) => node["Index Name"] !== undefined), shapeOf(nodes)).toBe(true);
    if (ordered) expect(nodes.map((node) => node["Node Type"]), shapeOf(nodes)).not.toContain("Sort");
  }

  beforeAll(async () => {
    database = await createScratchDatabase(databaseUrl!, uniqueName("clients_plans"));
    gateway = await startNeonGateway({ port: 0, databaseUrl: database.url, migrate: true });
    neonConfig.fetchEndpoint = gateway.url;
    // The driver and dialect of src/db, plus a logger that records every statement sent.
    db = drizzle({
      client: neon<false, false>(gateway.connectionString),
      logger: { logQuery: (query, params) => void recorded.push({ query, params }) },
    });
    explainer = new pg.Client({ connectionString: database.url });
    await explainer.connect();
    // A tenth of the rows for one user, the rest spread over many; then the statistics a maintained
    // table would have.
    await explainer.query(
      `INSERT INTO clients (user_id, id, name, created_at)
       SELECT CASE WHEN i % 10 = 0 THEN $1 ELSE 'plans-user-' || (i % ${USERS}) END, 'row-' || i, 'Client ' || i,
              now() - make_interval(secs => i)
       FROM generate_series(1, ${ROWS}) AS i`,
      [HEAVY_USER],
    );
    // A change log as long, spread over a day more than the retention as if pruned daily (an eighth of it
    // expired): each user's changes numbered from 1, older ones first; and each user's counter at its last.
    await explainer.query(
      `INSERT INTO client_changes (user_id, seq, op, client, recorded_at)
       SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY i), 'created', jsonb_build_object('id', 'row-' || i),
              now() - make_interval(days => ${CHANGE_RETENTION_DAYS + 1}) + make_interval(secs => i * ${((CHANGE_RETENTION_DAYS + 1) * 86_400) / ROWS})
       FROM (SELECT i, CASE WHEN i % 10 = 0 THEN $1 ELSE 'plans-user-' || (i % ${USERS}) END AS user_id
             FROM generate_series(1, ${ROWS}) AS i) AS numbered`,
      [HEAVY_USER],
    );
    await explainer.query("INSERT INTO client_change_counters SELECT user_id, max(seq) FROM client_changes GROUP BY user_id");
    await explainer.query("ANALYZE clients, client_changes, client_change_counters");
  }, 60_000);

  afterAll(async () => {
    await explainer?.end();
    await gateway?.close();
    await database?.drop();
  });

  it("is large enough that the planner scans the table when no index serves the query", async () => {
    const nodes = await planOf({ query: "SELECT * FROM clients WHERE name = $1", params: ["Client 7"] });
    expect(nodes.map((node) => node["Node Type"])).toContain("Seq Scan");
  });

  it("creates, reads, lists, updates and deletes through indexes, lists in index order", async () => {
    const id = `plans-${randomUUID()}`;
    const insert = await statementsOf(() => createClient(db, { userId: HEAVY_USER, id, name: "Planned" }));
    const find = await statementsOf(() => findClient(db, HEAVY_USER, id));
    const firstPage = await statementsOf(() => listClients(db, HEAVY_USER, { limit: 21 }));
    const cursor = { createdAt: new Date(Date.now() - 2_500_000), id: "row-2500" };
    const nextPage = await statementsOf(() => listClients(db, HEAVY_USER, { limit: 21, cursor }));
    const update = await statementsOf(() => updateClient(db, HEAVY_USER, id, { name: "Replanned" }));
    const remove = await statementsOf(() => deleteClient(db, HEAVY_USER, id));

    // One statement each: the insert of a new id needs no read.
    for (const statements of [insert, find, firstPage, nextPage, update, remove]) expect(statements).toHaveLength(1);
    // The insert writes the row, the user's counter and the log: no table is read whole for it.
    const insertPlan = await expectNoScan(insert[0]!);
    expect(insertPlan.filter((node) => node["Node Type"] === "ModifyTable").map((node) => node["Relation Name"]).sort()).toEqual(
      ["client_change_counters", "client_changes", "clients"],
    );
    for (const statement of [find, update, remove].flat()) await expectIndexed(statement);
    for (const statement of [firstPage, nextPage].flat()) await expectIndexed(statement, { ordered: true });
  });

  it("answers a create of an existing id with an index read", async () => {
    const id = `plans-${randomUUID()}`;
    await createClient(db, { userId: HEAVY_USER, id, name: "First" });
    const [insert, read] = await statementsOf(() => createClient(db, { userId: HEAVY_USER, id, name: "Second" }));
    expect(insert?.query).toMatch(/^with "written" as \(insert into "clients"/);
    await expectIndexed(read!);
  });

  it("reads a user's changes after a position, or only the position, through indexes, and prunes by the recorded_at index", async () => {
    const positions = await changesAfter(db, HEAVY_USER, { limit: 1 });
    const [current] = await statementsOf(() => changesAfter(db, HEAVY_USER, { limit: 100 }));
    // A reader a couple of changes behind.
    const id = `plans-${randomUUID()}`;
    await createClient(db, { userId: HEAVY_USER, id, name: "Logged" });
    await updateClient(db, HEAVY_USER, id, { name: "Logged again" });
    const [page] = await statementsOf(() => changesAfter(db, HEAVY_USER, { after: positions.last, limit: 100 }));
    expect(page).toBeDefined();
    for (const statement of [current!, page!]) await expectIndexed(statement);
    const [prune] = await statementsOf(() => pruneChanges(db));
    const pruneNodes = await planOf(prune!);
    expect(pruneNodes.some((node) => node["Index Name"] === "client_changes_recorded_at_idx"), shapeOf(pruneNodes)).toBe(true);
  });

  it("checks If-Match inside an indexed write, and reads a replayed idempotency key and its client through indexes", async () => {
    const id = `plans-${randomUUID()}`;
    const { client } = await createClient(db, { userId: HEAVY_USER, id, name: "Versioned" });
    const conditional = await statementsOf(() => updateClient(db, HEAVY_USER, id, { name: "Once" }, [client.version]));
    expect(conditional).toHaveLength(1);
    await expectIndexed(conditional[0]!);
    const key = `plans-key-${randomUUID()}`;
    const claim = await statementsOf(() => createClientWithKey(db, { userId: HEAVY_USER, id: `plans-${randomUUID()}`, name: "Keyed" }, key));
    expect(claim).toHaveLength(1);
    await expectNoScan(claim[0]!);
    const [, replayRead] = await statementsOf(() => createClientWithKey(db, { userId: HEAVY_USER, id: `plans-${randomUUID()}`, name: "Keyed" }, key));
    await expectIndexed(replayRead!);
  });
});
