import type { LabConfig } from '../config/lab-config.ts';
import type { Threshold } from '../report/slo.ts';
import type { ClockOffset } from '../config/types.ts';
import { waitFor } from '../events/wait-for.ts';
import type { ExperimentContext, IterationResult } from './context.ts';

/** What runs one iteration of a variant and returns its record (measurements, events, probes). */
export type IterationRunner = (ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]) => Promise<IterationResult>;

/** One runnable variant of an experiment, e.g. scenario 1 under CPU stress. */
export interface ExperimentVariant {
  experiment: string;
  label: string;
  run: IterationRunner;
  /** Labs it can run on (default: any); the suite skips it elsewhere, saying so. */
  supports?: (lab: LabConfig) => boolean;
  /** At most this many iterations per run, whatever the run asks for (the experiment's own `maxIterations`). */
  maxIterations?: number;
}

/**
 * An experiment as one declaration (Chaos Toolkit's experiment, k6's thresholds): its name, its
 * variants, and the thresholds as data that every iteration is judged by, in the full suite, the
 * entry scripts and vitest alike (judge.ts). Nothing else decides pass or fail.
 */
export interface Experiment {
  name: string;
  /** One line on what it shows: the title of its vitest suite. */
  title: string;
  variants: ExperimentVariant[];
  thresholds: Threshold[];
}

export interface ExperimentDeclaration {
  name: string;
  title: string;
  /**
   * At most this many iterations per run: for an experiment that repeats its measurements inside
   * one iteration and takes minutes (scale), so that `--iterations 3` does not triple it.
   */
  maxIterations?: number;
  variants: Array<Omit<ExperimentVariant, 'experiment'>>;
  /** The experiment is this declaration's own; a limit may still refer to another's ({ ref }). */
  thresholds: Array<Omit<Threshold, 'experiment'>>;
}

export function defineExperiment(d: ExperimentDeclaration): Experiment {
  if (d.variants.length === 0) throw new Error(`experiment ${d.name}: no variant declared`);
  const names = d.thresholds.map((t) => t.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new Error(`experiment ${d.name}: threshold ${twice.join(', ')} declared twice`);
  return {
    name: d.name,
    title: d.title,
    variants: d.variants.map((v) => ({ ...v, experiment: d.name, ...(d.maxIterations ? { maxIterations: d.maxIterations } : {}) })),
    thresholds: d.thresholds.map((t) => ({ ...t, experiment: d.name })),
  };
}

/** A named, bounded wait for the outcome an injection should bring (testcontainers' wait strategies). */
export interface Awaited<S, O> {
  /** What is awaited, as the error of a timeout says it: "a migration of web-stress to end". */
  name: string;
  timeoutMs: number;
  intervalMs?: number;
  /** The outcome once reached, undefined until then. */
  until: (ctx: ExperimentContext, state: S) => Promise<O | undefined>;
  /** What was last seen, for the timeout's error. */
  lastSeen?: (state: S) => string;
}

/**
 * One variant's method, Chaos Toolkit's way. The iteration's state S holds what it started (probes,
 * stress) so that the rollback can undo it; the rollback runs whatever happened before it, and what
 * any step threw becomes the iteration's error, which measure() records.
 */
export interface Method<S, O> {
  /** Steady state: the app as every iteration starts it, and what watches it (probes). */
  setUp: (ctx: ExperimentContext, iteration: number) => Promise<S>;
  /** The fault. */
  inject: (ctx: ExperimentContext, state: S) => Promise<void>;
  awaits: Awaited<S, O>;
  /** Undoes the injection; always runs once setUp has returned. */
  rollback: (ctx: ExperimentContext, state: S) => Promise<void>;
  measure: (ctx: ExperimentContext, state: S, outcome: O | undefined, error: string | undefined, offsets: ClockOffset[]) => Promise<IterationResult>;
}

/** The iterations a run makes of a variant when it asks for `asked`. */
export function iterationsOf(variant: Pick<ExperimentVariant, 'maxIterations'>, asked: number): number {
  return Math.min(asked, variant.maxIterations ?? asked);
}

/** The runner of a declared method: set up, inject, await, roll back (always), measure. */
export function runMethod<S, O>(method: Method<S, O>): IterationRunner {
  return async (ctx, iteration, offsets) => {
    const state = await method.setUp(ctx, iteration);
    let outcome: O | undefined;
    const errors: string[] = [];
    try {
      await method.inject(ctx, state);
      const { name, timeoutMs, intervalMs, until, lastSeen } = method.awaits;
      outcome = await waitFor(name, () => until(ctx, state), { timeoutMs, intervalMs: intervalMs ?? 250, lastSeen: lastSeen && (() => lastSeen(state)) });
    } catch (err) {
      errors.push((err as Error).message);
    } finally {
      await method.rollback(ctx, state).catch((err: Error) => errors.push(`rollback: ${err.message}`));
    }
    return method.measure(ctx, state, outcome, errors.length > 0 ? errors.join('; ') : undefined, offsets);
  };
}
