import type { ContainerPoint } from '../types.ts';

/** How the load spread after one scale-up: per-replica CPU after it against old total / new count. */
export interface SpreadStep {
  step: number;
  fromReplicas: number;
  toReplicas: number;
  /** Sum over the replicas of their mean CPU % in the window before T4. */
  oldTotalCpu: number;
  /** oldTotalCpu / toReplicas: each replica's share if the load spread evenly. */
  expectedPerReplica: number;
  /** Mean CPU % of each replica in the window after T5 (container → %). */
  perReplica: Record<string, number>;
  newTotalCpu: number;
  /** Largest |replica − expected| in CPU points. */
  maxDeviation: number;
  window: { before: [number, number]; after: [number, number] };
}

function meanByContainer(points: readonly ContainerPoint[], from: number, to: number): Map<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const p of points) {
    if (p.t < from || p.t >= to) continue;
    const s = sums.get(p.container) ?? { sum: 0, n: 0 };
    s.sum += p.cpu;
    s.n += 1;
    sums.set(p.container, s);
  }
  return new Map([...sums].map(([c, s]) => [c, s.sum / s.n]));
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Per-replica CPU before and after a scale-up, from per-container samples. The "before" window is
 * the `beforeMs` before T4; the "after" window starts `settleMs` after T5 (the balancer's health
 * check must have taken the new replica in) and lasts `afterMs`, cut at `cutAt` (the next level
 * change of the load or the next scale-up), so it compares the same offered load. Null when a
 * window is empty or too short.
 */
export function spreadAfterScaleUp(
  points: readonly ContainerPoint[],
  step: { step: number; t4: number; t5: number; fromReplicas: number; toReplicas: number; cutAt?: number },
  opts: { beforeMs?: number; settleMs?: number; afterMs?: number; minAfterMs?: number } = {},
): SpreadStep | null {
  const beforeMs = opts.beforeMs ?? 2500;
  const settleMs = opts.settleMs ?? 3000;
  const afterMs = opts.afterMs ?? 6000;
  const before: [number, number] = [step.t4 - beforeMs, step.t4];
  const afterStart = step.t5 + settleMs;
  const after: [number, number] = [afterStart, Math.min(afterStart + afterMs, step.cutAt ?? Infinity)];
  if (after[1] - after[0] < (opts.minAfterMs ?? 2000)) return null;
  const old = meanByContainer(points, ...before);
  const now = meanByContainer(points, ...after);
  if (old.size === 0 || now.size === 0) return null;
  const oldTotal = [...old.values()].reduce((a, b) => a + b, 0);
  const expected = oldTotal / step.toReplicas;
  const perReplica = Object.fromEntries([...now].map(([c, v]) => [c, round1(v)]));
  return {
    step: step.step,
    fromReplicas: step.fromReplicas,
    toReplicas: step.toReplicas,
    oldTotalCpu: round1(oldTotal),
    expectedPerReplica: round1(expected),
    perReplica,
    newTotalCpu: round1([...now.values()].reduce((a, b) => a + b, 0)),
    maxDeviation: round1(Math.max(...[...now.values()].map((v) => Math.abs(v - expected)))),
    window: { before, after },
  };
}

/**
 * The step judged against the load offered after the scale-up: the traffic's part of the old total
 * scaled by offered after / offered before (a request costs the same CPU on either side, and a
 * scale-up during a ramp had less traffic before it than after), shared by the new count, plus each
 * replica's own idle CPU (its sampler, Docker's health check), which no balancer shares out.
 */
export function normalizeSpread(
  s: SpreadStep,
  offered: { before: number; after: number },
  idlePct = 0,
): SpreadStep & { offeredRps: { before: number; after: number }; loadRatio: number | null; idlePct: number } {
  const ratio = offered.before > 0 && offered.after > 0 ? offered.after / offered.before : null;
  const traffic = Math.max(0, s.oldTotalCpu - s.fromReplicas * idlePct) * (ratio ?? 1);
  const expected = traffic / s.toReplicas + idlePct;
  return {
    ...s,
    expectedPerReplica: round1(expected),
    maxDeviation: round1(Math.max(...Object.values(s.perReplica).map((v) => Math.abs(v - expected)))),
    offeredRps: offered,
    loadRatio: ratio === null ? null : Math.round(ratio * 1000) / 1000,
    idlePct: round1(idlePct),
  };
}
