// `npm run db:seed [-- <userId>]`: a handful of sample clients for a dev user (default dev-user, the user of
// the ready line's token) in the local database, through the local gateway and the API's own data layer.
// Idempotent: a client that is already there is left as it is.
import { claimLocalDatabase } from "../tooling/local-database.ts";

const samples = [
  { id: "sample-ada", name: "Ada Lovelace", email: "ada@example.com", company: "Analytical Engines" },
  { id: "sample-grace", name: "Grace Hopper", email: "grace@example.com", phone: "+1 555 0100" },
  { id: "sample-alan", name: "Alan Turing", company: "Bletchley Park" },
  { id: "sample-katherine", name: "Katherine Johnson", email: "katherine@example.com", phone: "+1 555 0101" },
  { id: "sample-edsger", name: "Edsger Dijkstra", email: "edsger@example.com", company: "Mathematisch Centrum" },
];

const userId = process.argv[2] ?? "dev-user";
const { databaseUrl, dataDir } = await claimLocalDatabase("db:seed");
// Loaded after the checks, so that a refusal comes at once.
const [{ createDb }, { createClient }, { startNeonGateway }] = await Promise.all([
  import("../../src/db/connection.ts"),
  import("../../src/db/clients.ts"),
  import("../gateway/gateway.ts"),
]);
const gateway = await startNeonGateway({ databaseUrl, dataDir, migrate: true });
try {
  const db = createDb({
    url: gateway.connectionString,
    fetchEndpoint: gateway.url,
    timeoutMs: 10_000,
  });
  let created = 0;
  for (const sample of samples) {
    if ((await createClient(db, { ...sample, userId })).change) created++;
  }
  console.log(
    `db:seed: ${samples.length} sample clients for user "${userId}" (${created} new, ` +
      `${samples.length - created} already there). A token for them: npm run --silent token -- ${userId}`,
  );
} finally {
  await gateway.close();
}
