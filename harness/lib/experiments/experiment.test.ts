import { describe, expect, it } from 'vitest';
import type { ExperimentContext, IterationResult } from './context.ts';
import { defineExperiment, iterationsOf, runMethod, type Method } from './experiment.ts';

const ctx = {} as ExperimentContext;
const result = (error: string | undefined, outcome: string | undefined): IterationResult => ({
  record: { experiment: 'x', iteration: 1, params: { outcome: outcome ?? null }, startedAt: 0, endedAt: 1, events: [], probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } }, outcome: error ? 'error' : 'passed', ...(error ? { error } : {}), measurements: {}, slo: [] },
  probes: [],
});

/** A method whose steps write what they did into the state; `fail` names a step that throws. */
function method(fail?: 'inject' | 'rollback', reachAfter = 0): Method<{ steps: string[]; looks: number }, string> {
  return {
    setUp: async () => ({ steps: ['setUp'], looks: 0 }),
    inject: async (_c, s) => {
      s.steps.push('inject');
      if (fail === 'inject') throw new Error('the stress request answered 500');
    },
    awaits: { name: 'the action to end', timeoutMs: 60, intervalMs: 10, until: async (_c, s) => (++s.looks > reachAfter ? 'done' : undefined), lastSeen: (s) => `${s.looks} looks` },
    rollback: async (_c, s) => {
      s.steps.push('rollback');
      if (fail === 'rollback') throw new Error('stress still running');
    },
    measure: async (_c, s, outcome, error) => {
      s.steps.push('measure');
      return { ...result(error, outcome), probes: [{ source: s.steps.join(','), samples: [] }] };
    },
  };
}

describe('runMethod', () => {
  it('sets up, injects, awaits the outcome, rolls back and measures, in that order', async () => {
    const r = await runMethod(method(undefined, 2))(ctx, 1, []);
    expect(r.probes[0]!.source).toBe('setUp,inject,rollback,measure');
    expect(r.record.params.outcome).toBe('done');
    expect(r.record.error).toBeUndefined();
  });

  it('rolls back also when the injection throws, and measures with its error', async () => {
    const r = await runMethod(method('inject'))(ctx, 1, []);
    expect(r.probes[0]!.source).toBe('setUp,inject,rollback,measure');
    expect(r.record.error).toBe('the stress request answered 500');
    expect(r.record.params.outcome).toBeNull();
  });

  it('names the awaited outcome, its bound and what was last seen when it does not come', async () => {
    const r = await runMethod(method(undefined, 1_000_000))(ctx, 1, []);
    expect(r.record.error).toMatch(/^the action to end: not reached after \d+ ms \(limit 60 ms\); last seen: \d+ looks$/);
    expect(r.probes[0]!.source).toBe('setUp,inject,rollback,measure');
  });

  it('keeps a failed rollback as an error of its own, after the step that failed', async () => {
    const r = await runMethod(method('rollback'))(ctx, 1, []);
    expect(r.record.error).toBe('rollback: stress still running');
  });
});

describe('maxIterations', () => {
  const run = async () => result(undefined, undefined);
  it('caps the iterations a run makes of each variant, and only when declared', () => {
    const capped = defineExperiment({ name: 'scale', title: 't', maxIterations: 1, variants: [{ label: 'a', run }, { label: 'b', run }], thresholds: [] });
    expect(capped.variants.map((v) => iterationsOf(v, 3))).toEqual([1, 1]);
    const free = defineExperiment({ name: 'scenario1', title: 't', variants: [{ label: 'a', run }], thresholds: [] });
    expect(iterationsOf(free.variants[0]!, 3)).toBe(3);
    expect(iterationsOf(capped.variants[0]!, 0)).toBe(0);
  });
});
