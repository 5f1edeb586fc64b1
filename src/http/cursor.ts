import type { ListCursor } from "../db/clients";

// The list cursor is opaque to callers: base64url of the JSON [createdAt, id] of the last client on a
// page. Decoding only undoes the encoding; `listClientsQuery` validates what comes out.

export function encodeCursor({ createdAt, id }: ListCursor): string {
  return btoa(JSON.stringify([createdAt.toISOString(), id]))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function decodeCursor(cursor: string): unknown {
  try {
    return JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
  } catch {
    return undefined;
  }
}
