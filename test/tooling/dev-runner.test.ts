// `npm run dev` as a new user meets it, in a fresh copy of the project (its own .dev.vars, .data/ and
// .wrangler/): each start-up check gives one line and exit code 1 before anything starts, and however the
// runner ends, nothing it started is left running or holding the port.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, makeCheckout } from "../support/node/checkout";
import { freePort } from "../support/node/free-port";
import { startPasswordServer } from "../support/node/postgres-stand-ins";
import { alive, commandLine, descendants, killTree, portIsFree, type Started, startProcess, waitFor, waitWhileRunning } from "../support/node/processes";
import { listenTcp } from "../support/node/tcp-server";

// A bound, not a target: wrangler takes long to start on a busy 2-core machine.
const START_TIMEOUT_MS = 180_000;
let checkout: string;
let removeCheckout: () => void;

beforeAll(() => ({ dir: checkout, remove: removeCheckout } = makeCheckout("dev-runner")));
afterAll(() => removeCheckout());

// Whatever a failed test left running, so that it cannot hold the data folder or a port for the next one.
const runs: Started[] = [];
afterEach(() => {
  for (const { child } of runs.splice(0)) killTree(child.pid!);
});

function startDev(env: Record<string, string> = {}, args: string[] = []): Started {
  const run = startProcess(process.execPath, ["local/bin/dev.ts", ...args], { cwd: checkout, env: cliEnv(env) });
  runs.push(run);
  return run;
}

/** Runs the dev runner to its end: for the checks that stop it before anything starts. */
async function runDev(env: Record<string, string> = {}, args: string[] = []) {
  const run = startDev(env, args);
  const code = await run.exited;
  return { code, output: run.output() };
}

async function startUntilReady(port: number): Promise<{ run: Started; started: number[] }> {
  // Its own inspector port: wrangler's default (9229, if free when it looks) races any other wrangler starting.
  const run = startDev({ PORT: String(port) }, ["--inspector-port", String(await freePort())]);
  const ready = `clients-api ready on http://127.0.0.1:${port}`;
  const outcome = await waitWhileRunning(run, () => run.output().includes(ready), START_TIMEOUT_MS - 10_000);
  expect(outcome, run.output()).toBe(true);
  const started = descendants(run.child.pid!);
  // wrangler's node, workerd, and the guard at least
  expect(started.length).toBeGreaterThanOrEqual(3);
  return { run, started };
}

/** Everything the runner started ends within a few seconds of it, the port is free again and the lock gone. */
async function expectAllGone(started: number[], port: number) {
  expect(await waitFor(() => alive(started).length === 0, 8000), `left running: ${alive(started).join(", ")}`).toBe(true);
  expect(await portIsFree(port)).toBe(true);
  expect(existsSync(join(checkout, ".data/pglite.lock"))).toBe(false);
}

describe("dev runner start-up checks: one line, exit code 1, nothing started", { timeout: 60_000 }, () => {
  const expectOneLine = ({ code, output }: { code: number | null; output: string }, message: RegExp) => {
    expect(code).toBe(1);
    expect(output.trim()).toMatch(message);
    expect(output.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(checkout, ".data/pglite.lock"))).toBe(false);
  };

  it("names the port when it is taken, and how to choose another", async () => {
    const { port, close } = await listenTcp(() => {});
    try {
      expectOneLine(
        await runDev({ PORT: String(port) }),
        new RegExp(`^dev: port ${port} on 127\\.0\\.0\\.1 is already in use: choose another with PORT=\\d+ npm run dev, or npm run dev -- --port \\d+$`),
      );
      expectOneLine(await runDev({}, ["--port", String(port)]), new RegExp(`^dev: port ${port} .* already in use`));
      expectOneLine(
        await runDev({}, ["--port", String(await freePort()), "--inspector-port", String(port)]),
        new RegExp(`^dev: port ${port} on 127\\.0\\.0\\.1 is already in use: choose another with npm run dev -- --inspector-port \\d+$`),
      );
    } finally {
      await close();
    }
  });

  it("rejects a port that is not one", async () => {
    expectOneLine(await runDev({}, ["--port", "http"]), /^dev: --port must be a port number from 1 to 65535, not "http"$/);
    expectOneLine(await runDev({ PORT: "70000" }), /^dev: PORT must be a port number from 1 to 65535, not "70000"$/);
    expectOneLine(await runDev({}, ["--inspector-port", "0"]), /^dev: --inspector-port must be a port number from 1 to 65535, not "0"$/);
  });

  it("refuses a data folder that another live process holds", async () => {
    mkdirSync(join(checkout, ".data"), { recursive: true });
    writeFileSync(join(checkout, ".data/pglite.lock"), String(process.pid));
    try {
      const { code, output } = await runDev({ PORT: String(await freePort()) });
      expect(code).toBe(1);
      expect(output.trim()).toMatch(
        new RegExp(`^dev: .data/pglite is in use by another local process \\(pid ${process.pid}\\): stop it first`),
      );
    } finally {
      rmSync(join(checkout, ".data/pglite.lock"));
    }
  });

  it("says what is wrong with DATABASE_URL without echoing it", async () => {
    const notAUrl = await runDev({ DATABASE_URL: "secret-looking-value" });
    expectOneLine(notAUrl, /^dev: DATABASE_URL is not a URL \(expected postgres:\/\/user:password@host:5432\/database\)$/);
    expect(notAUrl.output).not.toContain("secret-looking-value");
    expectOneLine(await runDev({ DATABASE_URL: "mysql://u:p@localhost/db" }), /^dev: DATABASE_URL is a mysql:\/\/ URL, not a PostgreSQL one/);
  });

  it("tells an unreachable server or host from a missing database, and suggests createdb", async () => {
    const closedPort = await freePort();
    expectOneLine(
      await runDev({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/test` }),
      new RegExp(`^dev: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closedPort} \\(DATABASE_URL\\): connection refused; is the server running`),
    );
    expectOneLine(
      await runDev({ DATABASE_URL: "postgres://postgres@db.invalid/test", ALLOW_REMOTE_DATABASE: "1" }),
      /^dev: cannot reach PostgreSQL at db\.invalid:5432 \(DATABASE_URL\): no such host; is the host name right\?$/,
    );
    // The machine's PostgreSQL (or the one the suite runs on), asked for a database that is not there.
    const server = new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test");
    server.pathname = `/missing_${process.pid}_${Date.now()}`;
    const database = server.pathname.slice(1);
    expectOneLine(
      await runDev({ DATABASE_URL: server.toString() }),
      new RegExp(`^dev: database "${database}" does not exist on PostgreSQL at .*: create it with createdb -h \\S+ -p \\d+ -U \\S+ ${database}$`),
    );
  });

  it("names a missing password and a refused one, without echoing the password", async () => {
    const [asking, refusing] = await Promise.all([startPasswordServer("scram"), startPasswordServer("refusing")]);
    try {
      expectOneLine(
        await runDev({ DATABASE_URL: `postgres://postgres@127.0.0.1:${asking.port}/app` }),
        new RegExp(
          `^dev: PostgreSQL at 127\\.0\\.0\\.1:${asking.port} asks for a password and DATABASE_URL has none: ` +
            `postgres://postgres:PASSWORD@127\\.0\\.0\\.1:${asking.port}/app$`,
        ),
      );
      const refused = await runDev({ DATABASE_URL: `postgres://postgres:wrong-secret@127.0.0.1:${refusing.port}/app` });
      expectOneLine(
        refused,
        new RegExp(`^dev: PostgreSQL at 127\\.0\\.0\\.1:${refusing.port} refused the password of user "postgres" \\(DATABASE_URL\\): check it$`),
      );
      expect(refused.output).not.toContain("wrong-secret");
    } finally {
      await Promise.all([asking.close(), refusing.close()]);
    }
  });

  it("checks .dev.vars: an empty JWT_SECRET, a DATABASE_URL that is not PostgreSQL's", async () => {
    const devVars = join(checkout, ".dev.vars");
    try {
      writeFileSync(devVars, "JWT_SECRET=\nDATABASE_URL=postgresql://dev:dev@localhost/clients\n");
      expectOneLine(await runDev(), /^dev: JWT_SECRET is empty in \.dev\.vars: set it to a long random string/);
      writeFileSync(devVars, "JWT_SECRET=s3cret\nDATABASE_URL=http://localhost/clients\n");
      expectOneLine(await runDev(), /^dev: DATABASE_URL in \.dev\.vars is a http:\/\/ URL, not a PostgreSQL one/);
    } finally {
      rmSync(devVars); // the next start creates it again from .dev.vars.example
    }
  });
});

// Killed outright, the runner leaves wrangler to its process group's guard (local/tooling/process-group.ts),
// the one every script shares: orphans.test.ts kills a script's parent to see it at work.
describe("dev runner leaves nothing behind", { timeout: START_TIMEOUT_MS }, () => {
  it("takes over a stale lock, is the only ready instance, and stops everything on SIGTERM", async () => {
    const gone = spawn(process.execPath, ["-e", ""]);
    await once(gone, "exit");
    mkdirSync(join(checkout, ".data"), { recursive: true });
    writeFileSync(join(checkout, ".data/pglite.lock"), String(gone.pid));

    const port = await freePort();
    const { run, started } = await startUntilReady(port);
    // A second instance on the same port, or on another one with the same data folder, does not start.
    const samePort = await runDev({ PORT: String(port) });
    expect(samePort.code).toBe(1);
    expect(samePort.output).toMatch(new RegExp(`^dev: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    const otherPort = await runDev({ PORT: String(await freePort()) });
    expect(otherPort.code).toBe(1);
    expect(otherPort.output).toMatch(new RegExp(`^dev: .data/pglite is in use by another local process \\(pid ${run.child.pid}\\)`));

    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    await expectAllGone(started, port);
  });

  it("stops everything, with a non-zero exit, when wrangler dies", async () => {
    const port = await freePort();
    const { run, started } = await startUntilReady(port);
    const wrangler = started.find((pid) => commandLine(pid).includes("wrangler-dist/cli.js"));
    expect(wrangler).toBeDefined();
    process.kill(wrangler!, "SIGKILL");
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toContain("dev: wrangler exited");
    await expectAllGone(started, port);
  });
});
