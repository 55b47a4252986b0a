import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('agent-restart');
