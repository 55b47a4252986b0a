import type { ClockOffset } from '../config/types.ts';
import type { LabConfig } from '../config/lab-config.ts';
import { baselineIteration } from './baseline.ts';
import { scenario1Iteration } from './scenario1.ts';
import { scenario2Iteration } from './scenario2.ts';
import { badInputIteration, payloadsFromEnv } from './reliability/bad-input.ts';
import { canFailTsdb } from '../cluster/node-faults.ts';
import { tsdbDownIteration } from './reliability/tsdb-down.ts';
import { concurrentIteration } from './reliability/concurrent.ts';
import { nodeDetectionIteration, nodeFailureIteration } from './reliability/node-failure.ts';
import { managerRestartIteration } from './reliability/manager-restart.ts';
import { agentRestartIteration } from './reliability/agent-restart.ts';
import type { ExperimentContext, IterationResult } from './context.ts';

/** One runnable variant of an experiment, e.g. scenario 1 under CPU stress. */
export interface ExperimentVariant {
  experiment: string;
  label: string;
  run: (ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]) => Promise<IterationResult>;
  /** Labs it can run on (default: any); the suite skips it elsewhere, saying so. */
  supports?: (lab: LabConfig) => boolean;
}

/**
 * The experiments of the full suite, in the order they run: the baseline first, since the proactive
 * MTTR is judged against the baseline of the same run.
 */
export const EXPERIMENTS: Record<string, ExperimentVariant[]> = {
  baseline: [{ experiment: 'baseline', label: 'kill -9', run: (ctx, i, o) => baselineIteration(ctx, i, o) }],
  scenario1: [
    { experiment: 'scenario1', label: 'CPU stress', run: (ctx, i, o) => scenario1Iteration(ctx, i, 'cpu', o) },
    { experiment: 'scenario1', label: 'memory stress', run: (ctx, i, o) => scenario1Iteration(ctx, i, 'memory', o) },
  ],
  scenario2: [{ experiment: 'scenario2', label: 'load-generator traffic', run: (ctx, i, o) => scenario2Iteration(ctx, i, o) }],
  // reliability; tsdb-down stops the local lab's VictoriaMetrics, or a remote lab's store over SSH (faults.tsdb)
  'bad-input': [{ experiment: 'bad-input', label: 'bad input', run: (ctx, i, o) => badInputIteration(ctx, i, o, { labFile: process.env.SWARMGUARD_LAB ?? 'lab.yaml', payloads: payloadsFromEnv() }) }],
  'tsdb-down': [{ experiment: 'tsdb-down', label: 'TSDB down', run: (ctx, i, o) => tsdbDownIteration(ctx, i, o), supports: canFailTsdb }],
  // node-failure stops a node's dockerd: the local lab's own way, or lab.yaml's faults commands over SSH
  'node-failure': [
    { experiment: 'node-failure', label: "task's node down, Swarm alone", run: (ctx, i, o) => nodeFailureIteration(ctx, i, o, 'task-node') },
    { experiment: 'node-failure', label: 'other node down', run: (ctx, i, o) => nodeFailureIteration(ctx, i, o, 'other-node') },
  ],
  // the same fault with the manager's own node-failure detection: judged against node-failure's Swarm alone
  'node-detection': [{ experiment: 'node-detection', label: "task's node down, SwarmGuard's detection", run: (ctx, i, o) => nodeDetectionIteration(ctx, i, o) }],
  'manager-restart': [{ experiment: 'manager-restart', label: 'manager SIGKILL mid-migration', run: (ctx, i, o) => managerRestartIteration(ctx, i, o) }],
  'agent-restart': [{ experiment: 'agent-restart', label: 'agent SIGKILL under CPU stress', run: (ctx, i, o) => agentRestartIteration(ctx, i, o) }],
  // last: the heaviest on a small host; it probes the copies A, B, C through the local lab's HAProxy frontends
  concurrent: [{ experiment: 'concurrent', label: 'CPU on A, traffic on B, memory on C', run: (ctx, i, o) => concurrentIteration(ctx, i, o) }],
};
