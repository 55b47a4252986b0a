import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('agent-restart', 'agent restart: a killed agent comes back and its alerts flow again');
