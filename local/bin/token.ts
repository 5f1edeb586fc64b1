// `npm run --silent token -- <userId>`: prints a dev token for that user, signed with the JWT_SECRET that
// `wrangler dev` reads from .dev.vars (created from .dev.vars.example when missing).
import { readDevVars, StartupError } from "../tooling/dev-checks";
import { devVarsFile, ensureDevVars, signDevToken } from "../tooling/dev-token";

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
