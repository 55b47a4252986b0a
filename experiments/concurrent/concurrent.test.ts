import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('concurrent', 'concurrent faults: CPU on A, traffic on B, memory on C at once; each service recovers by its own action');
