import { expect } from "vitest";
import type { ChangeJson } from "../../src/http/change-json";
import { LIVE_PROTOCOL } from "../../src/live/protocol";
import { call } from "./api";

export type ChangeMessage = { type: "change" } & ChangeJson;

/** The headers of a WebSocket upgrade offering `protocols`. */
export const upgrade = (protocols: string) => ({ Upgrade: "websocket", "Sec-WebSocket-Protocol": protocols });

/** Opens a live socket with `token` and records what it receives and how it closes. */
export async function openSocket(token: string) {
  const response = await call("GET", "/api/clients/live", { headers: upgrade(`${LIVE_PROTOCOL}, bearer.${token}`) });
  expect(response.status).toBe(101);
  expect(response.headers.get("Sec-WebSocket-Protocol")).toBe(LIVE_PROTOCOL);
  const socket = response.webSocket!;
  const messages: ChangeMessage[] = [];
  const closed: { code?: number; reason?: string } = {};
  socket.addEventListener("message", (event) => {
    messages.push(JSON.parse(event.data as string) as ChangeMessage);
  });
  socket.addEventListener("close", (event) => {
    closed.code = event.code;
    closed.reason = event.reason;
  });
  socket.accept();
  return { socket, messages, closed };
}

export type Socket = Awaited<ReturnType<typeof openSocket>>;
