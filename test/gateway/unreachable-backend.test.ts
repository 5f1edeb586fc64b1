// A gateway whose PostgreSQL has gone away answers in Neon's error shape and says why, never with a password.
import { expect, it } from "vitest";
import { connectionString, errorKeys, postSql } from "../support/node/gateway-fixture";
import { startGatewayWithLostBackend } from "../support/node/postgres-stand-ins";

it("answers 500 in Neon's error shape, naming the refused address", async () => {
  const { gateway, backendPort, backendPassword } = await startGatewayWithLostBackend({ connectionString });
  try {
    for (const body of [{ query: "SELECT 1", params: [] }, { queries: [{ query: "SELECT 1", params: [] }] }]) {
      const { response, json } = await postSql<Record<string, unknown>>(gateway.url, body);
      expect(response.status).toBe(500);
      expect(Object.keys(json)).toEqual(errorKeys);
      expect(json).toMatchObject({ message: `Couldn't connect to compute node: connection refused 127.0.0.1:${backendPort}`, code: "" });
      expect(JSON.stringify(json)).not.toContain(new URL(connectionString).password);
      expect(JSON.stringify(json)).not.toContain(backendPassword);
    }
  } finally {
    await gateway.close();
  }
});
