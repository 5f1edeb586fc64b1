// The local stack the benchmark measures: the project's Neon gateway (PGlite, or PostgreSQL when a URL
// is given) and two workers under wrangler's local runtime, started the same way on free loopback ports:
// ours, and the floor worker (bench/floor) that runs the same statements with nothing else.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { type NeonGateway, startNeonGateway } from "../local/gateway/gateway";
import { BENCH_RATE_LIMIT } from "./cpu/workloads";
import { listeningPorts, type RuntimeProcesses, runtimeProcesses, workerdProcesses } from "./runtime";

export type LocalWorker = {
  url: string;
  /** The DevTools inspector of the worker's isolate. */
  inspectorPort: number;
  processes: RuntimeProcesses;
  stop(): Promise<void>;
};

export type LocalStack = {
  gateway: NeonGateway;
  /** The connection string the workers send; the gateway serves it. */
  databaseUrl: string;
  ours: LocalWorker;
  floor: LocalWorker;
  close(): Promise<void>;
};

/** A wrangler configuration file, and the environment in it to use (none for a file without environments). */
export type WorkerConfig = { config: string; environment?: string };

// What is measured locally is development's worker; the bundle is the same in every environment.
export const OUR_CONFIG: WorkerConfig = { config: "wrangler.toml", environment: "development" };
// Our worker's configuration with its per-user rate limits raised out of reach: the load comes from one
// user per path, thousands of requests a minute. Every request still goes through the limiter's check.
const OUR_BENCH_CONFIG: WorkerConfig = { ...OUR_CONFIG, config: "wrangler.bench.toml" };
export const FLOOR_CONFIG: WorkerConfig = { config: "bench/floor/wrangler.toml" };

/** The connection string the gateway accepts and the workers use (the gateway runs the queries on its own database). */
const WORKER_DATABASE_URL = "postgresql://bench:bench@localhost/bench";

async function startWorker(script: string, { config, environment }: WorkerConfig, vars: Record<string, string>): Promise<LocalWorker> {
  // wrangler's API is large: loaded when a worker starts, not by every import of this module.
  const { unstable_dev } = await import("wrangler");
  const before = workerdProcesses();
  const worker = await unstable_dev(script, {
    config,
    env: environment,
    ip: "127.0.0.1",
    port: 0,
    // Any free port: wrangler's proxy process listens on it beside the worker's port.
    inspectorPort: 0,
    vars,
    // Our worker's one log line per request would flood the table; the bench reports what matters.
    logLevel: "none",
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
  try {
    const url = `http://${worker.address}:${worker.port}`;
    // The worker's own process starts with its first request.
    await (await fetch(`${url}/health`)).arrayBuffer();
    const processes = runtimeProcesses(worker.port, before);
    const inspectorPort = listeningPorts(processes.proxy).find((port) => port !== worker.port);
    if (inspectorPort === undefined) throw new Error(`no inspector port beside the worker's port ${worker.port}`);
    return { url, inspectorPort, processes, stop: () => worker.stop() };
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

/** The entry points started as our worker and as the floor worker. */
type StackScripts = { ours: string; floor: string };

const SERVED_SCRIPTS: StackScripts = { ours: "src/index.ts", floor: "bench/floor/worker.ts" };

/**
 * `backendUrl`: the PostgreSQL database the gateway runs the statements on; embedded PGlite without it.
 * `scripts`: the workers' entry points, by default the ones that serve HTTP.
 */
export async function startLocalStack(jwtSecret: string, backendUrl: string | undefined, scripts = SERVED_SCRIPTS): Promise<LocalStack> {
  writeFileSync(OUR_BENCH_CONFIG.config, readFileSync(OUR_CONFIG.config, "utf8").replace(/\blimit = \d+/g, `limit = ${BENCH_RATE_LIMIT}`));
  const gateway = await startNeonGateway({ port: 0, databaseUrl: backendUrl, migrate: true, connectionString: WORKER_DATABASE_URL });
  const started: LocalWorker[] = [];
  const close = async () => {
    for (const worker of started) await worker.stop();
    await gateway.close();
    rmSync(OUR_BENCH_CONFIG.config, { force: true });
  };
  try {
    const databaseUrl = gateway.connectionString;
    const vars = { NEON_FETCH_ENDPOINT: gateway.url, DATABASE_URL: databaseUrl };
    const ours = await startWorker(scripts.ours, OUR_BENCH_CONFIG, { ...vars, JWT_SECRET: jwtSecret });
    started.push(ours);
    const floor = await startWorker(scripts.floor, FLOOR_CONFIG, vars);
    started.push(floor);
    return { gateway, databaseUrl, ours, floor, close };
  } catch (error) {
    await close();
    throw error;
  }
}
