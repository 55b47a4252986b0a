import type { LabConfig } from '../config/lab-config.ts';
import { splitRates, type LoadStream } from '../load/load-generators.ts';
import { levelSchedule, wholeRates, type TrafficPlan } from './traffic-plan.ts';

/**
 * Scenario 2's traffic, in totals over all load generators: one stream of /api/work requests, each
 * CPU work and an answer of some KiB, like an API call. The request and the rates come from a
 * calibration on the lab (traffic-plan.ts): level k puts each of k replicas at the declared share of
 * its limit and of the link, so the manager adds the (k + 1)-th. CPU and network rise and fall
 * together on every replica whatever the balancer sends it, so no replica is ever CPU-busy with
 * little network (which would match scenario 1 and migrate it instead).
 */
export interface Scenario2Load {
  iterations: number;
  kb: number;
  /** Total requests per second of each level, one level per replica count to scale from (1, 2 …). */
  levels: number[];
  /** Seconds to ramp into each level and to hold it. */
  rampS: number;
  holdS: number;
  rampDownS: number;
  /** Seconds before the first ramp. */
  leadS: number;
  /** Per-request timeout of the load generators, s. */
  timeoutS: number;
}

export type LoadTiming = Pick<Scenario2Load, 'rampS' | 'holdS' | 'rampDownS' | 'leadS' | 'timeoutS'>;

/**
 * The timing of the levels. A level's hold must cover two breaches in a row, the scale-up (T5 − T4
 * a few seconds), the balancer taking the new replica in, and the spread check's 3 s settle plus
 * its 6 s window; the ramp is short, so the CPU before T4 is that of the full level.
 */
export const SCENARIO2_TIMING: LoadTiming = { rampS: 2, holdS: 24, rampDownS: 5, leadS: 1, timeoutS: 5 };

/** The load of a calibrated plan. */
export function loadFromPlan(plan: TrafficPlan, timing: Partial<LoadTiming> = {}): Scenario2Load {
  return { ...SCENARIO2_TIMING, ...timing, iterations: plan.request.iterations, kb: plan.request.kb, levels: plan.levels.map((l) => l.rps) };
}

/** Total requests per second, second by second from the start of the load. */
export function scenario2Schedule(load: Scenario2Load): number[] {
  return wholeRates(levelSchedule(load.levels, { leadS: load.leadS, rampS: load.rampS, holdS: load.holdS, rampDownS: load.rampDownS }));
}

/** Seconds (from the start of the load) at which a new ramp starts: a level change, then the ramp down. */
export function levelChanges(load: Scenario2Load): number[] {
  return [...load.levels, 0].map((_, i) => load.leadS + i * (load.rampS + load.holdS));
}

export function scenario2Streams(lab: LabConfig, load: Scenario2Load): LoadStream[] {
  const rates = scenario2Schedule(load);
  return [
    {
      name: 'work',
      url: `${lab.entrypoint}/api/work?iterations=${load.iterations}&kb=${load.kb}`,
      shape: (i, n) => ({ rates: splitRates(rates, i, n) }),
      maxDurationS: rates.length + 10,
      timeoutS: load.timeoutS,
    },
  ];
}
