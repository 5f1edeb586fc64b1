// The floor worker under the CPU measure's harness (bench/cpu/isolate/harness.ts).
import floor from "../../floor/worker";
import { cpuHarness } from "./harness";

export default cpuHarness(floor);
