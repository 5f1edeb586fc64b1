import type { HonoJsonWebKey } from "hono/utils/jwt/jws";

// The identity provider's signing keys (its JWKS), fetched by the isolate and kept: a token is checked
// against the kept keys, the keys are fetched again once they are old, and a token naming a key id they
// lack prompts a new fetch at most once per REFETCH_INTERVAL_MS (a key may have just been added), so
// tokens with made-up key ids cannot turn into a flood of requests to the provider.
const FETCH_TIMEOUT_MS = 5000;
const KEYS_MAX_AGE_MS = 600_000;
const REFETCH_INTERVAL_MS = 30_000;

/** The provider's keys could not be had: it is down, slow, or answered something that is not a JWKS. */
export class IdentityProviderUnavailableError extends Error {}

interface KeptKeys {
  keys?: HonoJsonWebKey[];
  fetchedAt: number;
  /** When the last fetch started, whether it worked or not. */
  triedAt: number;
  lastFailure?: IdentityProviderUnavailableError;
  pending?: Promise<void>;
}

const keptByUrl = new Map<string, KeptKeys>();

async function fetchKeys(url: string): Promise<HonoJsonWebKey[]> {
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP status ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new IdentityProviderUnavailableError("the identity provider's keys could not be fetched", { cause: error });
  }
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === "object" && key !== null)) {
    throw new IdentityProviderUnavailableError("the identity provider's answer is not a JWKS (no array of keys)");
  }
  return keys as HonoJsonWebKey[];
}

/**
 * The keys to check a token signed with key `kid` against. Throws IdentityProviderUnavailableError when
 * they are needed from the provider and its last answer (at most REFETCH_INTERVAL_MS ago) was a failure.
 */
export async function identityProviderKeys(url: string, kid: string | undefined): Promise<HonoJsonWebKey[]> {
  let kept = keptByUrl.get(url);
  if (!kept) keptByUrl.set(url, (kept = { fetchedAt: 0, triedAt: 0 }));
  const isFresh = (keys: KeptKeys) => keys.keys !== undefined && Date.now() - keys.fetchedAt < KEYS_MAX_AGE_MS;
  if (isFresh(kept) && kept.keys!.some((key) => key.kid === kid)) return kept.keys!;
  if (!kept.pending && Date.now() - kept.triedAt >= REFETCH_INTERVAL_MS) {
    const entry = kept;
    entry.triedAt = Date.now();
    entry.pending = fetchKeys(url)
      .then(
        (keys) => {
          entry.keys = keys;
          entry.fetchedAt = Date.now();
          entry.lastFailure = undefined;
        },
        (error: IdentityProviderUnavailableError) => {
          entry.lastFailure = error;
        },
      )
      .finally(() => (entry.pending = undefined));
  }
  await kept.pending;
  if (kept.lastFailure) throw kept.lastFailure;
  // Without the token's key id, the token is refused (401) by the check itself.
  if (isFresh(kept)) return kept.keys!;
  throw new IdentityProviderUnavailableError("the identity provider's keys are out of date");
}
