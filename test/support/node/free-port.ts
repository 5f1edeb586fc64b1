import { portIsFree } from "./processes";

// Below Linux's ephemeral range (32768-60999), from which the system picks ports for port 0 and for outgoing
// connections: a port from there could be taken by any connection in the seconds before a script binds it.
const FIRST = 20_000;
const COUNT = 32_768 - FIRST;

/** A loopback port that nothing listens on right now, outside the range the system hands out by itself. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    if (await portIsFree(port)) return port;
  }
}
