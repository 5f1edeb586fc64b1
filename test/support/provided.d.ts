// Values the globalSetup files `provide` to vitest.config.ts and to the tests inside workerd.
declare module "vitest" {
  export interface ProvidedContext {
    /** The local Neon gateway's /sql endpoint (the worker's NEON_FETCH_ENDPOINT). */
    gatewayUrl: string;
    /** The one connection string that gateway accepts (the worker's DATABASE_URL). */
    gatewayConnectionString: string;
    /** JWT_SECRET of the worker under test. */
    jwtSecret: string;
    /** A stand-in identity provider (see identity-provider.ts): its origin, JWKS URL and the private key that signs its tokens. */
    identityProvider: { origin: string; jwksUrl: string; privateKey: JsonWebKey; keyId: string };
    /** faults project only: the control server that stops, hangs and restarts its gateway (see faults.ts). */
    gatewayControlUrl: string;
    /** browser project only: the origin of the `npm run dev` its globalSetup started (dev-server.setup.ts). */
    devUrl: string;
  }
}

export {};
