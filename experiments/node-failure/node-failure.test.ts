import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('node-failure', 'node failure: swarm reschedules, the manager logs the dead node, keeps migrating, never onto it');
