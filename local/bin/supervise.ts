// `node --import tsx local/bin/supervise.ts SCRIPT [ARGS...]`: how package.json runs every long-lived local
// script (dev, neon:local, db:studio, db:seed, db:reset, db:psql, bench, deploy), so that nothing it starts outlives
// it, whatever ends it (see superviseGroup).
import { superviseGroup } from "../tooling/process-group";

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error("Usage: node --import tsx local/bin/supervise.ts SCRIPT [ARGS...]");
  process.exit(2);
}
superviseGroup(process.execPath, ["--import", "tsx", script, ...args]);
