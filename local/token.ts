// `npm run --silent token -- <userId>`: prints a dev token for that user, signed with the JWT_SECRET that
// `wrangler dev` reads from .dev.vars (created from .dev.vars.example when missing).
import { copyFileSync, existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sign } from "hono/jwt";
import { readDevVars, StartupError } from "./dev-checks";

const root = fileURLToPath(new URL("..", import.meta.url));
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const userId = process.argv[2];
  if (!userId) {
    console.error("Usage: npm run --silent token -- <userId>");
    process.exit(2);
  }
  ensureDevVars();
  try {
    console.log(await signDevToken(userId, readDevVars(devVarsFile).JWT_SECRET));
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    console.error(`token: ${err.message}`);
    process.exit(1);
  }
}
