// Every script that migrates or writes refuses a DATABASE_URL on another machine, in one line that names the
// host and never the password, before it starts anything; ALLOW_REMOTE_DATABASE=1 lets it through.
import { afterAll, describe, expect, it } from "vitest";
import { cliEnv, makeCheckout } from "../support/node/checkout";
import { startProcess } from "../support/node/processes";

const checkout = makeCheckout("remote-database");
afterAll(() => checkout.remove());

const password = "hunter2-not-for-logs";
const remoteUrl = `postgresql://deployer:${password}@ep-example-123.eu-central-1.aws.neon.tech/neondb?sslmode=require`;

async function npm(args: string[], env: Record<string, string>) {
  const run = startProcess("npm", ["--silent", ...args], { cwd: checkout.dir, env: cliEnv(env) });
  const code = await run.exited;
  return { code, output: run.output().trim() };
}

describe.concurrent("a remote DATABASE_URL", { timeout: 60_000 }, () => {
  it.each([
    ["dev", ["run", "dev"]],
    ["test", ["test", "--", "--project", "contract"]],
    ["db:migrate", ["run", "db:migrate"]],
    ["db:seed", ["run", "db:seed"]],
    ["db:studio", ["run", "db:studio"]],
    ["neon:local", ["run", "neon:local"]],
    ["bench", ["run", "bench"]],
  ])("%s refuses it in one line", async (script, args) => {
    const { code, output } = await npm(args, { DATABASE_URL: remoteUrl });
    expect(code).toBe(1);
    const prefix = script === "test" ? "npm test" : script;
    expect(output).toBe(
      `${prefix}: DATABASE_URL points at ep-example-123.eu-central-1.aws.neon.tech, not at this machine: refusing to ` +
        "migrate or write there (set ALLOW_REMOTE_DATABASE=1 if you mean it; npm run deploy migrates a deployed database)",
    );
    expect(output).not.toContain(password);
  });

  it("db:reset refuses any DATABASE_URL: it resets the embedded PGlite only", async () => {
    const { code, output } = await npm(["run", "db:reset"], { DATABASE_URL: remoteUrl });
    expect(code).toBe(1);
    expect(output).toMatch(/^db:reset: resets the embedded PGlite database only, and DATABASE_URL names PostgreSQL/);
    expect(output.split("\n")).toHaveLength(1);
  });

  it("is let through with ALLOW_REMOTE_DATABASE=1 (here to a host that does not exist)", async () => {
    const { code, output } = await npm(["run", "db:migrate"], {
      DATABASE_URL: `postgresql://deployer:${password}@db.invalid/neondb`,
      ALLOW_REMOTE_DATABASE: "1",
    });
    expect(code).toBe(1);
    expect(output).toMatch(/^db:migrate failed: getaddrinfo ENOTFOUND db\.invalid$/);
  });
});
