import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('memory-leak');
