import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('node-detection', "node detection: the manager finds the task's node failed before swarm, moves the task off, and lifts the exclusion when it is back");
