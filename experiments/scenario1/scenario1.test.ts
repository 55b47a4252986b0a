import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('scenario1', 'scenario 1: proactive migration with zero downtime');
