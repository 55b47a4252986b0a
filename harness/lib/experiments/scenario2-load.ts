import type { LabConfig } from '../lab-config.ts';
import { splitRates, type LoadStream } from '../load-generators.ts';
import { levelSchedule, wholeRates, type TrafficPlan } from './traffic-plan.ts';

/**
 * Scenario 2's traffic, in totals over all load generators. Two streams: /compute/pi makes a replica
 * CPU-busy, /api/data makes it network-heavy. The rates come from a calibration on the lab
 * (traffic-plan.ts): level k puts each of k replicas at the declared share of its limit and of the
 * link, so the manager adds the (k + 1)-th. The data stream brackets the pi stream: it starts
 * `leadS` earlier and ends `tailS` later, so a replica is never CPU-busy with little network — that
 * would match scenario 1 and migrate the task instead.
 */
export interface Scenario2Load {
  piIterations: number;
  dataKb: number;
  /** Total requests per second of each level, one level per replica count to scale from (1, 2 …). */
  levels: { piRps: number; dataRps: number }[];
  /** Seconds to ramp into each level and to hold it. */
  rampS: number;
  holdS: number;
  rampDownS: number;
  /** Data traffic before the pi stream starts and after it ends. */
  leadS: number;
  tailS: number;
  /** Per-request timeout of the load generators, s. */
  timeoutS: number;
}

/**
 * The timing of the levels. A level's hold must cover two breaches in a row, the scale-up (T5 − T4
 * a few seconds), the balancer taking the new replica in, and the spread check's 3 s settle plus
 * its 6 s window; the ramp is short, so the CPU before T4 is that of the full level.
 */
export const SCENARIO2_TIMING: LoadTiming = { rampS: 2, holdS: 24, rampDownS: 5, leadS: 3, tailS: 3, timeoutS: 5 };

export type LoadTiming = Pick<Scenario2Load, 'rampS' | 'holdS' | 'rampDownS' | 'leadS' | 'tailS' | 'timeoutS'>;

/** The load of a calibrated plan. */
export function loadFromPlan(plan: TrafficPlan, timing: Partial<LoadTiming> = {}): Scenario2Load {
  return {
    ...SCENARIO2_TIMING,
    ...timing,
    piIterations: plan.piIterations,
    dataKb: plan.dataKb,
    levels: plan.levels.map((l) => ({ piRps: l.piRps, dataRps: l.dataRps })),
  };
}

/** Total requests per second of both streams, second by second from the start of the load. */
export function scenario2Schedules(load: Scenario2Load): { pi: number[]; data: number[] } {
  const timing = { leadS: load.leadS, rampS: load.rampS, holdS: load.holdS, rampDownS: load.rampDownS };
  const pi = levelSchedule(load.levels.map((l) => l.piRps), timing);
  const dataLevels = load.levels.map((l) => l.dataRps);
  // data: at the first level from the start, stepping with the pi levels, held through the ramp down and the tail
  const data = levelSchedule(dataLevels, { ...timing, leadS: 0, rampDownS: 0 }).map((r, i) => (i < load.rampS ? dataLevels[0] : r));
  const last = dataLevels[dataLevels.length - 1] ?? 0;
  const full = [...new Array(load.leadS).fill(dataLevels[0] ?? 0), ...data, ...new Array(load.rampDownS + load.tailS).fill(last)];
  return { pi: wholeRates(pi), data: wholeRates(full) };
}

/** Seconds (from the start of the load) at which the pi stream starts a new ramp: a level change. */
export function levelChanges(load: Scenario2Load): number[] {
  const out: number[] = [];
  let t = load.leadS;
  for (let i = 0; i < load.levels.length; i++) {
    out.push(t);
    t += load.rampS + load.holdS;
  }
  out.push(t); // the ramp down
  return out;
}

export function scenario2Streams(lab: LabConfig, load: Scenario2Load): LoadStream[] {
  const { pi, data } = scenario2Schedules(load);
  const maxDurationS = Math.max(pi.length, data.length) + 10;
  return [
    {
      name: 'data',
      url: `${lab.entrypoint}/api/data?kb=${load.dataKb}`,
      shape: (i, n) => ({ rates: splitRates(data, i, n) }),
      maxDurationS,
      timeoutS: load.timeoutS,
    },
    {
      name: 'pi',
      url: `${lab.entrypoint}/compute/pi?iterations=${load.piIterations}`,
      shape: (i, n) => ({ rates: splitRates(pi, i, n) }),
      maxDurationS,
      timeoutS: load.timeoutS,
    },
  ];
}
