// The faults share one gateway that they stop and start, so they are one file: its tests run one at a time,
// while other projects' files run beside it.
import "./drill";
import "./database-down";
import "./health-load";
