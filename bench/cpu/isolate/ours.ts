// Our worker under the CPU measure's harness (bench/cpu/isolate/harness.ts).
import worker from "../../../src/index";
import { cpuHarness } from "./harness";

// The worker's configuration binds this class: the entry point must export it, though no workload opens a socket.
export { UserFeed } from "../../../src/index";

export default cpuHarness(worker);
