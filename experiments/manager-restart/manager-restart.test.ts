import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('manager-restart', 'manager restart mid-migration: one move, one task on a healthy node, no constraint left');
