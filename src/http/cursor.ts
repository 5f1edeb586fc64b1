import * as z from "zod/mini";
import type { ListCursor } from "../db/clients";
import { keptIn } from "../per-isolate";
import { fromBase64Url, toBase64Url } from "./base64url";
import { clientId } from "./request-schemas";

// The list cursor is opaque and tamper-evident: `<position>.<mac>` (at most 127 + 1 + 43 = 171 characters,
// for a 64-character id), where the position is base64url of
// the JSON [createdAt, id] of the last client on a page and the MAC is HMAC-SHA-256 over the user id and
// the position. A cursor therefore opens only for the user it was issued to, and nothing the API did not
// issue reaches the database. The MAC key is derived from JWT_SECRET with HKDF under a label of its own,
// so that no MAC made here can ever double as a token signature (and rotating the secret retires
// outstanding cursors: callers start again from the first page).

const KEY_LABEL = "clients-api list cursor v1";
const encoder = new TextEncoder();

// Derived once per secret and isolate: key derivation is the costly part of a check.
const keysBySecret = new Map<string, Promise<CryptoKey>>();

/** The HMAC key for cursors, derived from `secret` (JWT_SECRET). */
export const cursorKey = (secret: string): Promise<CryptoKey> => keptIn(keysBySecret, secret, deriveCursorKey);

function deriveCursorKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle
    .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
    .then((material) =>
      crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode(KEY_LABEL) },
        material,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      ),
    );
}

// What the MAC covers: the user and the encoded position, in an encoding that cannot run one into the other.
const signedText = (userId: string, position: string) => encoder.encode(JSON.stringify([userId, position]));

/** Seals any JSON value as a cursor for `userId`; the API seals only [createdAt, id] (see `encodeCursor`). */
export async function sealCursor(key: CryptoKey, userId: string, value: unknown): Promise<string> {
  const position = toBase64Url(encoder.encode(JSON.stringify(value)));
  const mac = await crypto.subtle.sign("HMAC", key, signedText(userId, position));
  return `${position}.${toBase64Url(new Uint8Array(mac))}`;
}

export const encodeCursor = (key: CryptoKey, userId: string, { createdAt, id }: ListCursor) =>
  sealCursor(key, userId, [createdAt.toISOString(), id]);

// A moment as the API writes one (toISOString of a row's createdAt): a real date in years 1 to 9999.
// PostgreSQL has no year 0, and JavaScript rolls an invalid day such as Feb 30 over into March.
const cursorTimestamp = z.iso.datetime({ precision: 3 }).check(
  z.refine((value) => {
    const date = new Date(value);
    return !Number.isNaN(date.getTime()) && date.toISOString() === value && !value.startsWith("0000");
  }),
);
const position = z.tuple([cursorTimestamp, clientId]);

/** The position in a cursor this API issued to `userId`, or undefined for anything else. */
export async function decodeCursor(key: CryptoKey, userId: string, cursor: string): Promise<ListCursor | undefined> {
  const [encoded = "", macText = "", ...rest] = cursor.split(".");
  const mac = fromBase64Url(macText);
  const bytes = fromBase64Url(encoded);
  if (rest.length > 0 || !mac || !bytes) return undefined;
  if (!(await crypto.subtle.verify("HMAC", key, mac, signedText(userId, encoded)))) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const parsed = position.safeParse(value);
  return parsed.success ? { createdAt: new Date(parsed.data[0]), id: parsed.data[1] } : undefined;
}
