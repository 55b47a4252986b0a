import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('tsdb-down');
