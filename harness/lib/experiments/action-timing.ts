import type { ExperimentContext } from './context.ts';
import { applyCorrections, correlate, oldTaskGoneBeforeReplacement, phaseDeltas, type ActionKind, type PhaseDeltas } from '../events/events.ts';
import { corrections } from '../events/clock-offset.ts';
import type { ClockOffset, Mark, TimingEvent } from '../config/types.ts';
import { PHASES } from '../config/types.ts';

export interface ActionTiming {
  events: TimingEvent[];
  deltas: PhaseDeltas;
  marks: Mark[];
  /** Migration only: the old task ended before the replacement was ready (null: not known from the events). */
  oldTaskGoneBeforeReplacement: boolean | null;
}

/**
 * T0–T6 of one action, from the agents' and the manager's logs (not from the manager's memory),
 * put on the control host's clock with the measured offsets.
 */
export async function actionTiming(
  ctx: ExperimentContext,
  since: number,
  actionId: string,
  kind: ActionKind,
  offsets: readonly ClockOffset[],
): Promise<ActionTiming> {
  const raw = await ctx.cluster.timingEvents(since);
  const events = applyCorrections(raw, corrections(offsets));
  const chain = correlate(events, { actionId });
  const marks = PHASES.filter((p) => chain.phases[p] !== undefined).map((p) => ({ label: p, t: chain.phases[p]! }));
  return {
    events: chain.events,
    deltas: phaseDeltas(chain.phases, kind),
    marks,
    oldTaskGoneBeforeReplacement: kind === 'migration' ? oldTaskGoneBeforeReplacement(chain) : null,
  };
}

/** One action's MTTR, its latencies and its phases, as the measurements of an iteration name them. */
export function phaseMeasurements(d: PhaseDeltas | undefined) {
  return {
    mttr_ms: d?.mttrMs ?? null,
    alert_latency_max_ms: d?.t2_t1_ms ?? null,
    decision_latency_max_ms: d?.t3_t2_ms ?? null,
    t1_t0_ms: d?.t1_t0_ms ?? null,
    t2_t1_ms: d?.t2_t1_ms ?? null,
    t3_t2_ms: d?.t3_t2_ms ?? null,
    t4_t3_ms: d?.t4_t3_ms ?? null,
    t5_t4_ms: d?.t5_t4_ms ?? null,
    t6_t5_ms: d?.t6_t5_ms ?? null,
  };
}
