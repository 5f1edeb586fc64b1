// `node local/bin/supervise.ts [NODE-OPTIONS] SCRIPT [ARGS...]`: how package.json runs every long-lived local
// script (dev, neon:local, db:studio, db:seed, db:reset, db:psql, bench, deploy), so that nothing it starts outlives
// it, whatever ends it (see superviseGroup). The rest of the command line is node's: `--import tsx` for a
// script that imports src/ or bench/ (written for bundlers: imports without extensions).
import { superviseGroup } from "../tooling/process-group.ts";

const command = process.argv.slice(2);
if (command.length === 0) {
  console.error("Usage: node local/bin/supervise.ts [NODE-OPTIONS] SCRIPT [ARGS...]");
  process.exit(2);
}
superviseGroup(process.execPath, command);
