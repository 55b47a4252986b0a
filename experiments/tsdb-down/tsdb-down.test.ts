import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('tsdb-down', 'time-series store down: migration and its latencies as in a normal scenario-1 run');
