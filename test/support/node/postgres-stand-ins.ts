// PostgreSQL servers in the states a test needs and the machine's server cannot be put in: one that asks for a
// password (or refuses the one it gets), and a gateway whose PostgreSQL has gone away.
import { randomUUID } from "node:crypto";
import { type GatewayOptions, type NeonGateway, startNeonGateway } from "../../../local/gateway/gateway";
import { listenTcp } from "./tcp-server";

/** A backend message: type byte, length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const int32 = (value: number) => Buffer.from([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);

function passwordFailed(user: string): Buffer {
  const fields = [["S", "FATAL"], ["V", "FATAL"], ["C", "28P01"], ["M", `password authentication failed for user "${user}"`]];
  return message("E", Buffer.concat([...fields.map(([key, value]) => Buffer.from(`${key}${value}\0`)), Buffer.from("\0")]));
}

/**
 * A server that answers every connection's start-up with a password request: SCRAM (PostgreSQL's default), whose
 * first challenge a client without a password cannot answer, or cleartext, whose password it then refuses (28P01).
 */
export function startPasswordServer(kind: "scram" | "refusing") {
  return listenTcp((socket) => {
    let startedUp = false;
    socket.on("data", () => {
      if (!startedUp) {
        startedUp = true;
        const request = kind === "scram" ? Buffer.concat([int32(10), Buffer.from("SCRAM-SHA-256\0\0")]) : int32(3);
        socket.write(message("R", request));
      } else if (kind === "scram") {
        // The client's first SCRAM message: the server's challenge, which needs the password to answer.
        socket.write(message("R", Buffer.concat([int32(11), Buffer.from("r=client-nonce-server-nonce,s=c2FsdA==,i=4096")])));
      } else {
        socket.end(passwordFailed("postgres")); // the password message
      }
    });
  });
}

const int16 = (value: number) => Buffer.from([(value >>> 8) & 255, value & 255]);

/** The answer to the one statement a gateway sends when it opens a PostgreSQL backend: `SELECT 1`, one int4 column. */
const selectOne = Buffer.concat([
  message("T", Buffer.concat([int16(1), Buffer.from("?column?\0"), int32(0), int16(0), int32(23), int16(4), int32(-1), int16(0)])),
  message("D", Buffer.concat([int16(1), int32(1), Buffer.from("1")])),
  message("C", Buffer.from("SELECT 1\0")),
]);
const readyForQuery = message("Z", Buffer.from("I"));

/**
 * A gateway started on a PostgreSQL that then goes away: its next requests find the port closed, as when the
 * machine's PostgreSQL stops under a running `npm run dev`. The PostgreSQL is a stand-in that lets anyone in and
 * answers the gateway's opening `SELECT 1` (booting a real one would take seconds), then closes. The gateway's
 * database URL holds `backendPassword`, for a test to see that no answer shows it.
 */
export async function startGatewayWithLostBackend(options: Omit<GatewayOptions, "databaseUrl" | "dataDir">): Promise<{
  gateway: NeonGateway;
  backendPort: number;
  backendPassword: string;
}> {
  const backend = await listenTcp((socket) => {
    let received = Buffer.alloc(0);
    let startedUp = false;
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      // The start-up message has no type byte; every later one does.
      for (let size; received.length >= 5 && received.length >= (size = startedUp ? 1 + received.readInt32BE(1) : received.readInt32BE(0)); ) {
        const type = startedUp ? String.fromCharCode(received[0]!) : "startup";
        received = received.subarray(size);
        if (type === "startup") socket.write(Buffer.concat([message("R", int32(0)), readyForQuery]));
        if (type === "Q") socket.write(Buffer.concat([selectOne, readyForQuery]));
        startedUp = true;
      }
    });
  });
  const backendPassword = `backend-${randomUUID()}`;
  const databaseUrl = `postgres://postgres:${backendPassword}@127.0.0.1:${backend.port}/postgres`;
  const gateway = await startNeonGateway({ ...options, databaseUrl });
  await backend.close();
  return { gateway, backendPort: backend.port, backendPassword };
}
