import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type NeonGateway, startNeonGateway } from "../../../local/gateway/gateway";
import { freePort } from "./free-port";
import { startGatewayWithLostBackend } from "./postgres-stand-ins";
import { projectDatabase } from "./run-database";
import { listenTcp } from "./tcp-server";

export type GatewayState = "up" | "down" | "hang" | "backend-lost";
const STATES: readonly string[] = ["up", "down", "hang", "backend-lost"] satisfies GatewayState[];

/** Accepts connections on `port` and never answers: a database that hangs. */
const listenSilently = async (port: number) => (await listenTcp((socket) => socket.resume(), port)).close;

/**
 * The faults project's own gateway, behind a loopback control server whose URL is provided as
 * `gatewayControlUrl`: `POST /up`, `POST /down` (port closed: connection refused), `POST /hang`
 * (port open, no answer) and `POST /backend-lost` (the gateway up, its PostgreSQL gone) switch it, `GET /stats` reports the running gateway's counters. The gateway
 * comes back on the same port, with the same data: PGlite keeps it in a temporary directory.
 * The project's tests share that state: they are one file (test/faults/faults.test.ts), so they run one at a
 * time, and a test that changes the state must restore "up" when it ends.
 */
export default async function setup(project: TestProject) {
  const database = await projectDatabase("faults");
  const databaseUrl = database.url;
  const dataDir = databaseUrl ? undefined : await mkdtemp(join(tmpdir(), "clients-api-faults-"));
  // A port from freePort, not port 0's: while the gateway is down, no outgoing connection can take it.
  let gateway: NeonGateway | undefined = await startNeonGateway({ port: await freePort(), databaseUrl, dataDir, migrate: true });
  // It comes back with the same credentials, which the worker holds.
  const { port, url, connectionString } = gateway;
  const start = () => startNeonGateway({ port, databaseUrl, dataDir, migrate: true, connectionString });
  let state: GatewayState = "up";
  let stopSilence: (() => Promise<void>) | undefined;

  async function enter(target: GatewayState) {
    if (target === state) return;
    await gateway?.close();
    await stopSilence?.();
    gateway = stopSilence = undefined;
    state = "down";
    if (target === "up") gateway = await start();
    if (target === "hang") stopSilence = await listenSilently(port);
    if (target === "backend-lost") gateway = (await startGatewayWithLostBackend({ port, connectionString })).gateway;
    state = target;
  }

  // Transitions run one at a time, in the order they were asked for.
  let transitions = Promise.resolve();
  const control = createServer((request, response) => {
    const target = request.url?.slice(1) ?? "";
    if (request.method === "GET" && target === "stats") {
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ state, ...gateway?.stats() }));
    } else if (request.method === "POST" && STATES.includes(target)) {
      transitions = transitions.then(() => enter(target as GatewayState));
      transitions.then(
        () => response.writeHead(204).end(),
        (error: Error) => response.writeHead(500).end(error.message),
      );
      transitions = transitions.catch(() => {});
    } else {
      response.writeHead(404).end();
    }
  });
  control.listen(0, "127.0.0.1");
  await once(control, "listening");

  project.provide("gatewayUrl", url);
  project.provide("gatewayConnectionString", connectionString);
  project.provide("jwtSecret", crypto.randomUUID());
  project.provide("gatewayControlUrl", `http://127.0.0.1:${(control.address() as AddressInfo).port}`);

  return async () => {
    await new Promise((resolve) => control.close(resolve));
    await enter("down");
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await database.drop();
  };
}
