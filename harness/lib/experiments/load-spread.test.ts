import { describe, expect, it } from 'vitest';
import type { ContainerPoint } from '../config/types.ts';
import { normalizeSpread, spreadAfterScaleUp } from './load-spread.ts';

const p = (t: number, container: string, cpu: number): ContainerPoint => ({ t, container, cpu, memMb: 50, rxMbps: 0, txMbps: 10 });

describe('spreadAfterScaleUp', () => {
  // one replica at ~90 % until T4 = 10 s, a second one ready at T5 = 12 s, then ~45 % each
  const points = [
    ...[6, 7, 8, 9].map((s) => p(s * 1000, 'a', s === 9 ? 92 : 88)),
    ...[15, 16, 17, 18, 19, 20].flatMap((s) => [p(s * 1000, 'a', 46), p(s * 1000, 'b', 43)]),
  ];

  it('compares each replica after the step with the old total divided by the new count', () => {
    const s = spreadAfterScaleUp(points, { step: 1, t4: 10_000, t5: 12_000, fromReplicas: 1, toReplicas: 2 });
    expect(s).toMatchObject({ oldTotalCpu: 90, expectedPerReplica: 45, perReplica: { a: 46, b: 43 }, newTotalCpu: 89, maxDeviation: 2 });
    expect(s?.window).toEqual({ before: [7500, 10_000], after: [15_000, 21_000] });
  });

  it('stops the after window at the next load change, and gives null when too little is left', () => {
    expect(spreadAfterScaleUp(points, { step: 1, t4: 10_000, t5: 12_000, fromReplicas: 1, toReplicas: 2, cutAt: 18_000 })?.window.after).toEqual([15_000, 18_000]);
    expect(spreadAfterScaleUp(points, { step: 1, t4: 10_000, t5: 12_000, fromReplicas: 1, toReplicas: 2, cutAt: 16_000 })).toBeNull();
    expect(spreadAfterScaleUp(points, { step: 1, t4: 100_000, t5: 101_000, fromReplicas: 1, toReplicas: 2 })).toBeNull();
  });
});

describe('normalizeSpread', () => {
  const step = { step: 1, fromReplicas: 1, toReplicas: 2, oldTotalCpu: 72, expectedPerReplica: 36, perReplica: { a: 47, b: 44 }, newTotalCpu: 91, maxDeviation: 11, window: { before: [0, 1] as [number, number], after: [2, 3] as [number, number] } };
  it("judges each replica against the replicas' mean after the scale-up", () => {
    const n = normalizeSpread(step, { before: 8, after: 10 });
    expect(n.expectedPerReplica).toBe(45.5);
    expect(n.maxDeviation).toBe(1.5);
  });
  it('fails a split that leaves the new replica idle', () => {
    const n = normalizeSpread({ ...step, perReplica: { old: 88, fresh: 12 } }, { before: 8, after: 8 });
    expect(n.maxDeviation).toBe(38);
  });
  it('keeps what the window before predicts, scaled by the load offered after against before', () => {
    expect(normalizeSpread(step, { before: 8, after: 10 }).expectedFromBefore).toBe(45);
    expect(normalizeSpread(step, { before: 8, after: 10 }).loadRatio).toBe(1.25);
    expect(normalizeSpread(step, { before: 0, after: 10 })).toMatchObject({ expectedFromBefore: 36, loadRatio: null });
  });
  it("does not share out each replica's idle CPU in that prediction", () => {
    // 72 % = 12 % idle + 60 % traffic; after: 60 × 1.25 / 2 + 12 = 49.5 % each
    expect(normalizeSpread(step, { before: 8, after: 10 }, 12).expectedFromBefore).toBe(49.5);
  });
});
