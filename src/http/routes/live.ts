import { Hono } from "hono/tiny";
import { CLOSE_CODES, EXPIRES_AT_HEADER, LIVE_PROTOCOL, MAX_SOCKETS_PER_USER, USER_HEADER } from "../../live/protocol";
import type { AppEnv } from "../app-env";
import { DATABASE_UNAVAILABLE } from "../errors";
import { offeredProtocols } from "../middleware/socket-credential";
import type { Operations } from "../openapi";
import { raise, type Problem } from "../problem";

const NOT_A_WEBSOCKET: Problem = {
  type: "upgrade-required",
  detail: `This route is a WebSocket: send Upgrade: websocket and offer the subprotocols ${LIVE_PROTOCOL} and bearer.<token>.`,
  headers: { Upgrade: "websocket" },
};
const PROTOCOL_NOT_OFFERED: Problem = {
  type: "bad-request",
  detail: `Offer the subprotocol ${LIVE_PROTOCOL} in Sec-WebSocket-Protocol, beside bearer.<token>.`,
};

// Authenticated like every /api route (the token offered as a subprotocol: ../middleware/socket-credential.ts),
// then handed to the caller's UserFeed, which keeps the socket until it closes or the token expires.
export const liveRoutes = new Hono<AppEnv>().get("/", async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") throw raise(NOT_A_WEBSOCKET);
  if (!offeredProtocols(c.req.header("Sec-WebSocket-Protocol")).includes(LIVE_PROTOCOL)) throw raise(PROTOCOL_NOT_OFFERED);
  const feed = c.var.config.userFeeds.getByName(c.var.userId);
  const accepted = await feed.fetch("https://user-feed/", {
    headers: { Upgrade: "websocket", [USER_HEADER]: c.var.userId, [EXPIRES_AT_HEADER]: String(c.var.tokenExpiresAt * 1000) },
  });
  if (!accepted.webSocket) throw raise(DATABASE_UNAVAILABLE);
  // Hono's own answers cannot carry a WebSocket: this one takes the headers the middleware so far has set
  // (request id, rate-limit policy), and the middleware after it may still set its own.
  const headers = new Headers(c.res.headers);
  headers.set("Sec-WebSocket-Protocol", LIVE_PROTOCOL);
  return new Response(null, { status: 101, webSocket: accepted.webSocket, headers });
});

const LIVE = `A WebSocket that receives every change of the caller's clients as it commits, from any tab or device:
one JSON text message per change, \`{"type":"change","seq":N,"op":"created"|"updated"|"deleted","client":{...}}\`
(the \`ChangeMessage\` schema; for a delete, the client's id and last ETag). \`seq\` counts the caller's changes
1, 2, 3, ...: a message whose \`seq\` is not the last one plus 1 means some were missed (a socket can drop, a
message can be late), and \`GET /api/clients/changes?after=<last seq>\` gives them. Browsers cannot set
headers on a WebSocket, so the token is offered as a subprotocol: \`new WebSocket(url, ["${LIVE_PROTOCOL}",
"bearer." + token])\`; the server accepts \`${LIVE_PROTOCOL}\`. The token is checked before the upgrade, with the
same answers as every route. The server closes the socket with code ${CLOSE_CODES.tokenExpired.code} when the token expires (connect
again with a new one) and with ${CLOSE_CODES.tooManySockets.code} when the caller already has ${MAX_SOCKETS_PER_USER} open. The socket sends nothing else and
ignores what it is sent.`;

// See clientsOperations.
export const liveOperations = /* @__PURE__ */ (() => ({
  "GET /api/clients/live": {
    operationId: "liveChanges",
    tags: ["clients"],
    summary: "Receive the caller's changes as they happen, over a WebSocket",
    description: LIVE,
    responses: { 101: { description: `Switching to the WebSocket protocol, subprotocol \`${LIVE_PROTOCOL}\`.` } },
    problems: [NOT_A_WEBSOCKET, PROTOCOL_NOT_OFFERED],
  },
}) satisfies Operations)();
