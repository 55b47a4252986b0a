import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('baseline', "baseline: Docker Swarm's reactive recovery after kill -9");
