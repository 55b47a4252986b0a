import { evaluate, type Rules } from '../../shared/rules.ts';
import type { ContainerMetrics, ScenarioName } from '../../shared/types.ts';

/** A run of consecutive samples of one container that all matched the same scenario. */
export interface BreachRun {
  scenario: ScenarioName;
  /** Sample time of the run's first breach (T0). */
  t0: number;
  count: number;
}

/** What to alert about: the run (copied) at the sample that completed a count. */
export interface BreachAlert extends BreachRun {
  /** Sample time of the breach that completed the count. */
  t: number;
}

/**
 * Counts consecutive breaches of the same scenario per container (shared `evaluate`, so the
 * agent and the manager agree on what a breach is).
 *
 * Alerting policy: the first alert when the run reaches `consecutive_breaches`, then one more
 * each time the run grows by another `consecutive_breaches` samples (i.e. every N cycles while the
 * breach persists). The manager has its own breach counters and cooldowns; re-alerting keeps it
 * informed if an alert was lost or ignored, while bounding traffic to one alert per container per
 * N cycles. Every alert of one run carries that run's T0. A non-matching sample or a different
 * scenario ends the run.
 */
export class BreachTracker {
  private readonly runs = new Map<string, BreachRun>();

  constructor(private rules: Rules) {}

  /** Reloaded thresholds; runs in progress continue and the next sample is judged by these. */
  setRules(rules: Rules): void {
    this.rules = rules;
  }

  observe(key: string, t: number, m: Pick<ContainerMetrics, 'cpu' | 'mem' | 'net'>): BreachAlert | null {
    const scenario = evaluate(this.rules, m);
    if (scenario === null) {
      this.runs.delete(key);
      return null;
    }
    let run = this.runs.get(key);
    if (run?.scenario === scenario) run.count += 1;
    else {
      run = { scenario, t0: t, count: 1 };
      this.runs.set(key, run);
    }
    const needed = this.rules[scenario].consecutive_breaches;
    return run.count % needed === 0 ? { ...run, t } : null;
  }

  run(key: string): Readonly<BreachRun> | undefined {
    return this.runs.get(key);
  }

  forget(key: string): void {
    this.runs.delete(key);
  }

  /** Drops the runs of containers not in `keys` (gone from the node). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.runs.keys()) if (!keys.has(key)) this.runs.delete(key);
  }
}
