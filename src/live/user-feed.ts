// One Durable Object per user holds that user's live sockets (GET /api/clients/live) and sends each of them
// every change the worker publishes. Hibernatable WebSockets: an idle socket keeps no object in memory.
import { DurableObject } from "cloudflare:workers";
import { configFor } from "../config";
import { setWatched } from "../db/changes";
import { databaseFor } from "../db/connection";
import { log, summarizeError } from "../log";
import { CLOSE_CODES, EXPIRES_AT_HEADER, MAX_SOCKETS_PER_USER, USER_HEADER } from "./protocol";

type Attachment = { userId: string; expiresAt: number };

// setAlarm refuses a time after 2189, while a token's exp is its issuer's choice: the object wakes no later
// than this from now, finds nothing expired, and sets its alarm again.
const LATEST_WAKE_MS = 365 * 24 * 60 * 60 * 1000;

// 1005: the peer's Close frame carried no code (a browser's close()), so the answer carries none either.
// 1006 and 1015: the runtime made them up because no Close frame came; there is nothing to answer.
const NO_CODE_SENT = 1005;
const NO_FRAME_CAME = new Set([1006, 1015]);

export class UserFeed extends DurableObject<Env> {
  /**
   * Accepts a socket the worker has authenticated; the object learns whose it is and when its token expires.
   * The user is marked as watched before the socket opens, so every write that commits after the socket's
   * client has it tells this object, and what committed before is in the change log the client catches up from.
   */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(USER_HEADER)!;
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ userId, expiresAt: Number(request.headers.get(EXPIRES_AT_HEADER)) } satisfies Attachment);
    // Accepted, then closed: a refused upgrade would reach a browser's script as a bare 1006.
    if (this.openSockets().length > MAX_SOCKETS_PER_USER) {
      server.close(CLOSE_CODES.tooManySockets.code, CLOSE_CODES.tooManySockets.reason);
      return new Response(null, { status: 101, webSocket: client });
    }
    try {
      await this.markWatched(userId);
    } catch (error) {
      server.close(1011, "unavailable");
      log("error", "marking the user as watched failed", `user-feed-${this.ctx.id}`, { error: summarizeError(error) });
      return new Response(null, { status: 503 });
    }
    await this.wakeAtNextExpiry();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Sends a change message to every socket of the user. */
  async publish(userId: string, message: string): Promise<void> {
    const sockets = this.openSockets();
    // Marked as watched by an object that has lost its sockets without hearing them close (it was reset).
    if (sockets.length === 0) await this.markWatched(userId);
    for (const socket of sockets) {
      try {
        socket.send(message);
      } catch {
        // A socket closing meanwhile misses nothing: its client catches up from the change log.
      }
    }
  }

  /** Closes the sockets whose tokens have expired, and wakes again for the next. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let closedFor: string | undefined; // every socket here is the one user's
    for (const socket of this.openSockets()) {
      const { userId, expiresAt } = socket.deserializeAttachment() as Attachment;
      if (expiresAt <= now) {
        socket.close(CLOSE_CODES.tokenExpired.code, CLOSE_CODES.tokenExpired.reason);
        closedFor = userId;
      }
    }
    if (closedFor !== undefined) await this.unmarkIfNone(closedFor);
    await this.wakeAtNextExpiry();
  }

  // A client only listens: what it sends is ignored.
  override webSocketMessage(): void {}

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    if (code === NO_CODE_SENT) socket.close();
    else if (!NO_FRAME_CAME.has(code)) socket.close(code, reason);
    await this.unmarkIfNone((socket.deserializeAttachment() as Attachment).userId);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    await this.unmarkIfNone((socket.deserializeAttachment() as Attachment).userId);
  }

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((socket) => socket.readyState === WebSocket.OPEN);
  }

  private async unmarkIfNone(userId: string): Promise<void> {
    if (this.openSockets().length > 0) return;
    // A failure leaves the user marked: writes then tell this object for nothing, until publish() clears it.
    await this.markWatched(userId).catch((error: unknown) =>
      log("error", "clearing the watched mark failed", `user-feed-${this.ctx.id}`, { error: summarizeError(error) }),
    );
  }

  // Marks the user as watched when a socket is open, else not. No other event of this object runs meanwhile,
  // so the marks reach the database in the order the counts were taken.
  private async markWatched(userId: string): Promise<void> {
    await this.ctx.blockConcurrencyWhile(() =>
      setWatched(databaseFor(configFor(this.env).database), userId, this.openSockets().length > 0),
    );
  }

  private async wakeAtNextExpiry(): Promise<void> {
    const expiries = this.openSockets().map((socket) => (socket.deserializeAttachment() as Attachment).expiresAt);
    if (expiries.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...expiries, Date.now() + LATEST_WAKE_MS));
  }
}
