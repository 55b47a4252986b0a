import type { Threshold } from '../report/slo.ts';
import type { Experiment, ExperimentVariant } from './experiment.ts';
import { baseline } from './baseline.ts';
import { scenario1 } from './scenario1.ts';
import { scenario2 } from './scenario2.ts';
import { memoryLeak } from './memory-leak.ts';
import { badInput } from './reliability/bad-input.ts';
import { tsdbDown } from './reliability/tsdb-down.ts';
import { nodeDetection, nodeFailure } from './reliability/node-failure.ts';
import { managerRestart } from './reliability/manager-restart.ts';
import { agentRestart } from './reliability/agent-restart.ts';
import { concurrent } from './reliability/concurrent.ts';
import { scale } from './scale.ts';

export type { Experiment, ExperimentVariant } from './experiment.ts';

/**
 * The experiments of the full suite, in the order they run. An experiment whose threshold takes its
 * limit from another ({ ref }) comes after it: the baseline first, since the proactive MTTR is
 * judged against the baseline of the same run. Adding an experiment: its file, and one entry here.
 */
export const REGISTRY: readonly Experiment[] = [
  baseline,
  scenario1,
  scenario2,
  badInput,
  tsdbDown,
  nodeFailure,
  nodeDetection,
  managerRestart,
  agentRestart,
  memoryLeak,
  concurrent,
  // last: it grows the lab and shrinks it again
  scale,
];

/** Each experiment's variants, by name. */
export const EXPERIMENTS: Record<string, ExperimentVariant[]> = Object.fromEntries(REGISTRY.map((e) => [e.name, e.variants]));

/** Every threshold a run is judged by: the experiments' own, as declared. */
export const SLOS: readonly Threshold[] = REGISTRY.flatMap((e) => e.thresholds);
