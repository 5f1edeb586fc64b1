import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Serves a fresh RS256 key's JWKS on loopback, like an identity provider's /.well-known/jwks.json, under
 * any path and query. A few paths misbehave as a failing provider would: /slow never answers, /not-json
 * answers HTML, /status-500 fails, /empty-object and /keys-not-array answer JSON that is no JWKS.
 * GET /hits?of=<path and query> says how many requests that exact path and query received.
 */
export async function startIdentityProvider() {
  const keyId = "test-key";
  const { publicKey, privateKey } = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const jwks = JSON.stringify({ keys: [{ ...(await crypto.subtle.exportKey("jwk", publicKey)), kid: keyId, alg: "RS256" }] });
  const hits = new Map<string, number>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://provider");
    if (url.pathname === "/hits") {
      return void response.writeHead(200, { "Content-Type": "application/json" }).end(String(hits.get(url.searchParams.get("of") ?? "") ?? 0));
    }
    const target = url.pathname + url.search;
    hits.set(target, (hits.get(target) ?? 0) + 1);
    const json = (status: number, body: string) => response.writeHead(status, { "Content-Type": "application/json" }).end(body);
    switch (url.pathname) {
      case "/slow":
        return; // left open until the caller gives up
      case "/not-json":
        return void response.writeHead(200, { "Content-Type": "text/html" }).end("<html><body>Maintenance</body></html>");
      case "/status-500":
        return json(500, '{"error":"internal"}');
      case "/empty-object":
        return json(200, "{}");
      case "/keys-not-array":
        return json(200, '{"keys":{}}');
      default:
        return json(200, jwks);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    privateKey: await crypto.subtle.exportKey("jwk", privateKey),
    keyId,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the /slow requests still open
      }),
  };
}
