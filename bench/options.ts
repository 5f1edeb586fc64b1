// bench/run.ts's command line, checked before anything runs: run.ts imports this module first, so a refusal
// ends the run before the rest of the benchmark is evaluated.
import { parseArgs } from "node:util";
import { assertLocalDatabase, checkOrExit } from "../local/tooling/dev-checks";

export const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    token: { type: "string" },
    scale: { type: "string", default: "1" },
    timeout: { type: "string", default: "30000" },
    out: { type: "string" },
    cpu: { type: "boolean", default: false },
    "live-only": { type: "boolean", default: false },
    "startup-only": { type: "boolean", default: false },
    requests: { type: "string", default: "5000" },
    repeats: { type: "string", default: "5" },
    profile: { type: "boolean", default: true },
    "local-platform": { type: "boolean", default: false },
  },
  allowNegative: true,
});
export const scale = Number(args.scale);
export const timeoutMs = Number(args.timeout);
if (!(scale > 0) || !(timeoutMs > 0)) throw new Error("--scale and --timeout must be positive numbers");
if (args.url && !args.token) throw new Error("--url needs --token (a JWT the deployed worker accepts)");
if (args.url && args["live-only"]) throw new Error("--live-only measures the local stack: it takes no --url");
if (!args.url) await checkOrExit("bench", () => assertLocalDatabase(process.env.DATABASE_URL));
