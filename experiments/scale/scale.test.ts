import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('scale');
