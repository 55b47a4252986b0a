import type { ClockOffset } from '../../config/types.ts';
import type { ExperimentContext, IterationResult } from '../context.ts';
import { BadInputRun } from './bad-input-run.ts';
import { defineExperiment } from '../experiment.ts';

export { queryDuty } from './bad-input-run.ts';

export interface BadInputOptions {
  /** Random manager payloads (10,000 in total over a run). */
  payloads: number;
  /** Random web-stress queries and lab.yaml mutations. */
  queries: number;
  labMutations: number;
  /** Seed of iteration i is seed + i, so each iteration tries other inputs and every one can be replayed. */
  seed: number;
  concurrency: number;
  labFile: string;
}

export const BAD_INPUT_DEFAULTS: BadInputOptions = { payloads: 10_000, queries: 300, labMutations: 300, seed: 7000, concurrency: 16, labFile: 'lab.yaml' };

/** SWARMGUARD_BAD_INPUT_PAYLOADS: random manager payloads per iteration (default 10,000). */
export function payloadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SWARMGUARD_BAD_INPUT_PAYLOADS;
  if (raw === undefined || raw === '') return BAD_INPUT_DEFAULTS.payloads;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0 || v > 100_000) throw new Error(`SWARMGUARD_BAD_INPUT_PAYLOADS: got ${JSON.stringify(raw)}, expected a whole number from 0 to 100000`);
  return v;
}

/**
 * Bad input on the real system: the manager gets the hand-written cases and
 * `payloads` random ones, web-stress random bad queries, the lab.yaml loader random mutations.
 * Every answer must keep the contract, the manager must stay up and the swarm must not change.
 */
export async function badInputIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], options: Partial<BadInputOptions> = {}): Promise<IterationResult> {
  const run = await BadInputRun.prepare(ctx, iteration, offsets, { ...BAD_INPUT_DEFAULTS, ...options });
  try {
    const sent = await run.send();
    return run.journal(sent, await run.check(sent));
  } finally {
    await run.rollback();
  }
}

export const badInput = defineExperiment({
  name: 'bad-input',
  title: 'bad input: the manager, web-stress and the lab.yaml loader answer every bad input by the contract',
  variants: [{ label: 'bad input', run: (ctx, i, o) => badInputIteration(ctx, i, o, { labFile: process.env.SWARMGUARD_LAB ?? 'lab.yaml', payloads: payloadsFromEnv() }) }],
  thresholds: [
    { name: 'bad-input-answers', metric: 'unexpected_answers', op: '==', limit: 0, description: 'Bad input: every bad input gets the answer expected of it' },
    { name: 'bad-input-no-swarm-change', metric: 'swarm_changes', op: '==', limit: 0, description: 'Bad input: nothing in the swarm changes' },
    { name: 'bad-input-no-manager-restart', metric: 'manager_restarts', op: '==', limit: 0, description: 'Bad input: the manager never restarts' },
  ],
});
