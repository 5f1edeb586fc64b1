// Our worker under the CPU measure's harness (bench/cpu/isolate/harness.ts).
import app from "../../../src/index";
import { cpuHarness } from "./harness";

export default cpuHarness(app);
