import type { ScenarioName } from '../../shared/types.ts';

interface Run {
  scenario: ScenarioName | null;
  count: number;
  /** Time of the newest sample counted, so a sample seen twice (alert and report) counts once. */
  lastT: number;
}

export interface BreachCounter {
  container: string;
  scenario: ScenarioName | null;
  count: number;
  lastT: number;
}

/** Containers are named by the first 12 hex digits, as the agent and `docker ps` do. */
export const shortId = (container: string): string => container.slice(0, 12);

/**
 * Consecutive-breach counter per container, fed by agent reports (every sample) and alerts.
 * A sample matching the same scenario as the current run extends it; another scenario starts a new
 * run; a sample matching nothing resets it.
 */
export class BreachTracker {
  private readonly runs = new Map<string, Run>();

  recordSample(container: string, scenario: ScenarioName | null, t: number): number {
    const key = shortId(container);
    const run = this.runs.get(key);
    if (run && t <= run.lastT) return run.scenario === scenario ? run.count : 0;
    const count = scenario === null ? 0 : run && run.scenario === scenario ? run.count + 1 : 1;
    // in place: every report samples each of its containers, and a new object per sample is garbage
    // the collector meets in old space, since runs live for as long as their containers report
    if (run) {
      run.scenario = scenario;
      run.count = count;
      run.lastT = t;
    } else this.runs.set(key, { scenario, count, lastT: t });
    return count;
  }

  /**
   * An alert is one more breach sample and, since the agent only alerts after counting its own
   * consecutive breaches, stands for at least `credit` samples: count = max(count + 1, credit).
   */
  recordAlert(container: string, scenario: ScenarioName, t: number, credit: number): number {
    const key = shortId(container);
    const run = this.runs.get(key);
    const previous = run && run.scenario === scenario ? run.count : 0;
    const extended = run && run.scenario === scenario && t <= run.lastT ? previous : previous + 1;
    const count = Math.max(extended, credit);
    this.runs.set(key, { scenario, count, lastT: Math.max(t, run?.lastT ?? 0) });
    return count;
  }

  /** After acting on a container its run is over. */
  reset(container: string): void {
    this.runs.delete(shortId(container));
  }

  /** Forgets containers not sampled since `before` (gone, or their agent is silent). */
  prune(before: number): void {
    for (const [key, run] of this.runs) if (run.lastT < before) this.runs.delete(key);
  }

  list(): BreachCounter[] {
    return [...this.runs].map(([container, r]) => ({ container, ...r }));
  }
}
