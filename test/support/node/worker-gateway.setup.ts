import type { TestProject } from "vitest/node";
import { startNeonGateway } from "../../../local/gateway/gateway";
import { startIdentityProvider } from "./identity-provider";
import { projectDatabase } from "./run-database";

// Real PostgreSQL when DATABASE_URL is set (CI runs both), in a database of the run's own; embedded PGlite otherwise.
export default async function setup(project: TestProject) {
  const database = await projectDatabase("worker");
  const gateway = await startNeonGateway({ port: 0, databaseUrl: database.url, migrate: true });
  const { close: closeIdentityProvider, ...identityProvider } = await startIdentityProvider();
  project.provide("gatewayUrl", gateway.url);
  project.provide("gatewayConnectionString", gateway.connectionString);
  project.provide("jwtSecret", crypto.randomUUID());
  project.provide("identityProvider", identityProvider);
  return async () => {
    await closeIdentityProvider();
    await gateway.close();
    await database.drop();
  };
}
