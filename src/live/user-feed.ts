// One Durable Object per user holds that user's live sockets (GET /api/clients/live) and sends each of them
// every change the worker publishes. Hibernatable WebSockets: an idle socket keeps no object in memory.
import { DurableObject } from "cloudflare:workers";
import { CLOSE_CODES, EXPIRES_AT_HEADER, MAX_SOCKETS_PER_USER } from "./protocol";

type Attachment = { expiresAt: number };

// setAlarm refuses a time after 2189, while a token's exp is its issuer's choice: the object wakes no later
// than this from now, finds nothing expired, and sets its alarm again.
const LATEST_WAKE_MS = 365 * 24 * 60 * 60 * 1000;

// A close code the runtime makes up when no Close frame came (1005, 1006, 1015) has no handshake to answer.
const SENT_BY_PEER = (code: number) => code !== 1005 && code !== 1006 && code !== 1015;

export class UserFeed extends DurableObject<Env> {
  /** Accepts a socket the worker has authenticated; the object learns only when its token expires. */
  override async fetch(request: Request): Promise<Response> {
    const expiresAt = Number(request.headers.get(EXPIRES_AT_HEADER));
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ expiresAt } satisfies Attachment);
    // Accepted, then closed: a refused upgrade would reach a browser's script as a bare 1006.
    if (this.openSockets().length > MAX_SOCKETS_PER_USER) {
      server.close(CLOSE_CODES.tooManySockets.code, CLOSE_CODES.tooManySockets.reason);
    } else {
      await this.wakeAtNextExpiry();
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Sends a change message to every socket of the user. */
  publish(message: string): void {
    for (const socket of this.openSockets()) {
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
    for (const socket of this.openSockets()) {
      if ((socket.deserializeAttachment() as Attachment).expiresAt <= now) {
        socket.close(CLOSE_CODES.tokenExpired.code, CLOSE_CODES.tokenExpired.reason);
      }
    }
    await this.wakeAtNextExpiry();
  }

  // A client only listens: what it sends is ignored.
  override webSocketMessage(): void {}

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    if (SENT_BY_PEER(code)) socket.close(code, reason);
  }

  private openSockets(): WebSocket[] {
    return this.ctx.getWebSockets().filter((socket) => socket.readyState === WebSocket.OPEN);
  }

  private async wakeAtNextExpiry(): Promise<void> {
    const expiries = this.openSockets().map((socket) => (socket.deserializeAttachment() as Attachment).expiresAt);
    if (expiries.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...expiries, Date.now() + LATEST_WAKE_MS));
  }
}
