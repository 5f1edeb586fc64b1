// What the live socket's clients and the worker agree on, apart from the Durable Object that holds the sockets.

/** The subprotocol a client offers, beside `bearer.<token>`, and the server accepts. */
export const LIVE_PROTOCOL = "clients-api.v1";
/** Sockets one user may hold open at once: the next one is closed with CLOSE_CODES.tooManySockets. */
export const MAX_SOCKETS_PER_USER = 100;
/** The close codes the server ends a socket with (4000-4999 are the application's own). */
export const CLOSE_CODES = {
  tokenExpired: { code: 4001, reason: "token expired" },
  tooManySockets: { code: 4008, reason: `more than ${MAX_SOCKETS_PER_USER} sockets for this user` },
} as const;

/** How the worker tells the UserFeed whose socket it hands over, and when the token expires (ms since the epoch). */
export const USER_HEADER = "X-User-Id";
export const EXPIRES_AT_HEADER = "X-Token-Expires-At";
