import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Serves a fresh RS256 key's JWKS on loopback, like an identity provider's /.well-known/jwks.json. */
export async function startIdentityProvider() {
  const keyId = "test-key";
  const { publicKey, privateKey } = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const jwks = JSON.stringify({ keys: [{ ...(await crypto.subtle.exportKey("jwk", publicKey)), kid: keyId, alg: "RS256" }] });
  const server = createServer((_request, response) => {
    response.writeHead(200, { "Content-Type": "application/json" }).end(jwks);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    privateKey: await crypto.subtle.exportKey("jwk", privateKey),
    keyId,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
