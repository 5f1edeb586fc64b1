import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { LIVE_PROTOCOL } from "../../live/protocol";
import { described } from "../route-meta";

const BEARER_PROTOCOL_PREFIX = "bearer.";

/** The subprotocols a WebSocket's client offers, in its order. */
export const offeredProtocols = (header: string | undefined) => (header ?? "").split(",").map((protocol) => protocol.trim());

/**
 * A browser cannot set headers on a WebSocket, and a token in the URL ends up in logs: a socket's client offers
 * its token as the subprotocol `bearer.<token>` instead. Made the Authorization header it stands for, the
 * token meets `authenticate` as any other, with the same rules and the same problems.
 */
export const socketCredential = described(
  createMiddleware<AppEnv>(async (c, next) => {
    const offered = offeredProtocols(c.req.header("Sec-WebSocket-Protocol")).find((protocol) => protocol.startsWith(BEARER_PROTOCOL_PREFIX));
    if (offered !== undefined && c.req.header("Authorization") === undefined) {
      const headers = new Headers(c.req.raw.headers);
      headers.set("Authorization", `Bearer ${offered.slice(BEARER_PROTOCOL_PREFIX.length)}`);
      c.req.raw = new Request(c.req.raw, { headers });
    }
    await next();
  }),
  {
    reads: {
      name: "Sec-WebSocket-Protocol",
      description:
        `The subprotocols the socket's client offers: \`${LIVE_PROTOCOL}\`, and the bearer token as \`bearer.<token>\` (a browser cannot set Authorization on a WebSocket). The server accepts \`${LIVE_PROTOCOL}\`.`,
      schema: { type: "string", maxLength: 8192 },
      example: `${LIVE_PROTOCOL}, bearer.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3OTYwMDAwMDB9.c2lnbmF0dXJl`,
    },
  },
);
