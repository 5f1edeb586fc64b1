// base64url without padding (RFC 4648 §5, as JWTs and the list cursor use it), in its one spelling.

export const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/**
 * The bytes `text` encodes, or undefined unless it is their canonical spelling: padding, or a last
 * character whose unused bits are set (each such character has three siblings decoding to the same
 * bytes), would let one value be written several ways, and an altered text pass for the original.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
  return toBase64Url(bytes) === text ? bytes : undefined;
}
