// `npm run --silent token -- <userId>`: prints a dev token for that user, signed with the JWT_SECRET that
// `wrangler dev` reads from .dev.vars (created from .dev.vars.example when missing).
import { checkOrExit, readDevVars } from "../tooling/dev-checks.ts";
import { devVarsFile, ensureDevVars, signDevToken } from "../tooling/dev-token.ts";

const userId = process.argv[2];
if (!userId) {
  console.error("Usage: npm run --silent token -- <userId>");
  process.exit(2);
}
ensureDevVars();
const { JWT_SECRET } = await checkOrExit("token", () => readDevVars(devVarsFile));
console.log(await signDevToken(userId, JWT_SECRET));
