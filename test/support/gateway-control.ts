import { expect, inject } from "vitest";
import type { GatewayState } from "./node/faults-gateway.setup";

const control = inject("gatewayControlUrl");
// Switching the gateway takes well under a second; this only keeps a stuck control server from hanging a test.
const SWITCH_TIMEOUT_MS = 30_000;

/** Brings the faults project's gateway up, takes it down (connection refused) or makes it hang. */
export async function setGateway(state: GatewayState) {
  const response = await fetch(`${control}/${state}`, { method: "POST", signal: AbortSignal.timeout(SWITCH_TIMEOUT_MS) });
  expect(response.status, await response.text()).toBe(204);
}

/** The faults gateway's counters (see GatewayStats), with its state. */
export async function gatewayStats(): Promise<{ state: GatewayState; statements: Record<string, number> }> {
  const response = await fetch(`${control}/stats`, { signal: AbortSignal.timeout(SWITCH_TIMEOUT_MS) });
  return response.json();
}
