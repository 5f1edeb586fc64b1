// The local PGlite database at hand: `npm run db:psql` serves it over PostgreSQL's wire protocol and prints a
// psql command that works (or, when its port is taken, how to choose another); `npm run db:reset` empties it and
// applies the migrations again.
import { type ChildProcess, execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { cliEnv, makeCheckout, repo } from "../support/node/checkout";
import { freePort } from "../support/node/free-port";
import { startProcess, waitWhileRunning } from "../support/node/processes";
import { listenTcp } from "../support/node/tcp-server";

const run = promisify(execFile);
const checkout = makeCheckout("local-database");
const started: ChildProcess[] = [];
afterAll(() => {
  for (const npm of started) if (npm.exitCode === null && npm.signalCode === null) process.kill(-npm.pid!, "SIGKILL");
  checkout.remove();
});

/** Starts `npm run db:psql` and returns the connection string of the psql command it prints. */
async function servePsql(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const npm = startProcess("npm", ["run", "--silent", "db:psql", "--", "--port", String(port)], {
    cwd: checkout.dir,
    env: cliEnv(),
    detached: true,
  });
  started.push(npm.child);
  const command = /Connect with: psql "(postgresql:\/\/[^"]+)"\n/;
  expect(await waitWhileRunning(npm, () => command.test(npm.output()), 60_000), npm.output()).toBe(true);
  expect(npm.output()).toMatch(new RegExp(`^db:psql: \\.data/pglite served on 127\\.0\\.0\\.1:${port} \\(Ctrl-C stops\\)\\. Connect with: psql "postgresql://postgres@127\\.0\\.0\\.1:${port}/postgres"\\n$`));
  return {
    url: command.exec(npm.output())![1]!,
    stop: async () => {
      process.kill(-npm.child.pid!, "SIGINT");
      await npm.exited;
    },
  };
}

const psql = async (url: string, sql: string) => (await run("psql", [url, "-X", "-A", "-t", "-c", sql])).stdout.trim();

it("db:psql answers psql; db:reset empties the database and migrates it again", { timeout: 180_000 }, async () => {
  const first = await servePsql();
  expect(await psql(first.url, "select 1")).toBe("1");
  await psql(first.url, "create table left_over (id int)");
  expect(await psql(first.url, "select count(*) from clients")).toBe("0"); // migrated on the way up
  await first.stop();

  const migrations = JSON.parse(readFileSync(join(repo, "migrations/meta/_journal.json"), "utf8")).entries.length;
  const reset = await run("npm", ["run", "--silent", "db:reset"], { cwd: checkout.dir, env: cliEnv() });
  expect(reset.stdout.trim()).toBe(`db:reset: emptied; applied ${migrations} migrations to .data/pglite (${migrations} in all)`);

  const second = await servePsql();
  expect(await psql(second.url, "select to_regclass('left_over') is null")).toBe("t");
  expect(await psql(second.url, "select count(*) from clients")).toBe("0");
  await second.stop();
});

it("db:psql names a port that is taken, and how to choose another", async () => {
  const { port, close } = await listenTcp(() => {});
  try {
    const psql = run("npm", ["run", "--silent", "db:psql", "--", "--port", String(port)], { cwd: checkout.dir, env: cliEnv() });
    await expect(psql).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        new RegExp(`^db:psql: port ${port} on 127\\.0\\.0\\.1 is already in use: choose another with npm run db:psql -- --port \\d+\\n$`),
      ),
    });
  } finally {
    await close();
  }
});
