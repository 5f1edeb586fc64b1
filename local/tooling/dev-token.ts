// Dev tokens, signed with the JWT_SECRET that `wrangler dev` reads from .dev.vars (created from
// .dev.vars.example when missing).
import { copyFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sign } from "hono/jwt";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const devVarsFile = `${root}.dev.vars`;
const TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** Creates .dev.vars from .dev.vars.example when it is missing: `wrangler dev` reads the worker's secrets there. */
export function ensureDevVars(): void {
  if (!existsSync(devVarsFile)) copyFileSync(`${root}.dev.vars.example`, devVarsFile);
}

export async function signDevToken(userId: string, secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: userId, iat: now, exp: now + TOKEN_LIFETIME_SECONDS }, secret, "HS256");
}
