import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('bad-input');
