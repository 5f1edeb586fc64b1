// `npm run db:studio`: Drizzle Studio on the local database (see local-database.ts), migrated first.
// Studio's server runs here; its page (https://local.drizzle.studio) is served from the internet.
import { fileURLToPath } from "node:url";
import { claimLocalDatabase } from "../tooling/local-database.ts";
import { spawnGroup } from "../tooling/process-group.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { databaseUrl, dataDir } = await claimLocalDatabase("db:studio");
// Loaded after the checks, so that a refusal comes at once.
const { startNeonGateway } = await import("../gateway/gateway.ts");
// Applies the migrations, so a fresh checkout shows the tables rather than an empty database.
await (await startNeonGateway({ databaseUrl, dataDir, migrate: true })).close();

const studio = spawnGroup(`${root}node_modules/.bin/drizzle-kit`, ["studio", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
const stop = () => void studio.stop();
process.once("SIGINT", stop).once("SIGTERM", stop);
studio.child.once("exit", async (code) => {
  await studio.stop();
  process.exit(code ?? 0);
});
