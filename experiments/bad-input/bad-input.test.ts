import { experimentSuite } from '../experiment-suite.ts';

await experimentSuite('bad-input', 'bad input: the manager, web-stress and the lab.yaml loader answer every bad input by the contract');
