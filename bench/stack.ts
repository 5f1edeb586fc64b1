// The local stack the benchmark measures: the project's Neon gateway (PGlite, or PostgreSQL when
// DATABASE_URL is set) and the worker under wrangler's local runtime, both on free loopback ports.
import { unstable_dev } from "wrangler";
import { type NeonGateway, startNeonGateway } from "../local/gateway";

export type LocalStack = {
  workerUrl: string;
  gateway: NeonGateway;
  close(): Promise<void>;
};

/** The connection string the gateway accepts and the worker uses (the gateway runs the queries on its own database). */
export const WORKER_DATABASE_URL = "postgresql://bench:bench@localhost/bench";

export async function startLocalStack(jwtSecret: string): Promise<LocalStack> {
  const gateway = await startNeonGateway({
    port: 0,
    databaseUrl: process.env.DATABASE_URL,
    migrate: true,
    connectionString: WORKER_DATABASE_URL,
  });
  try {
    const worker = await unstable_dev("src/index.ts", {
      config: "wrangler.toml",
      ip: "127.0.0.1",
      port: 0,
      vars: { NEON_FETCH_ENDPOINT: gateway.url, DATABASE_URL: WORKER_DATABASE_URL, JWT_SECRET: jwtSecret },
      // The worker's one log line per request would flood the table; the bench reports what matters.
      logLevel: "none",
      experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
    });
    return {
      workerUrl: `http://${worker.address}:${worker.port}`,
      gateway,
      close: async () => {
        await worker.stop();
        await gateway.close();
      },
    };
  } catch (error) {
    await gateway.close();
    throw error;
  }
}
