import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('scenario2', 'scenario 2: proactive scale-up under traffic, scale-down after it');
