import { describe, expect, it } from 'vitest';
import { fitLine, nextIterations } from './traffic-calibration.ts';

describe('nextIterations', () => {
  it('guesses proportionally from one measurement', () => {
    expect(nextIterations(20, [{ iterations: 1_000_000, cpuMs: 5 }])).toEqual({ iterations: 4_000_000, cpuMs: 20 });
  });

  it('fits a fixed cost per request plus a cost per iteration from two measurements', () => {
    // 5 ms fixed + 1.5 ms per million: 1 M → 6.5 ms, 3 M → 9.5 ms; 20 ms needs 10 M
    const g = nextIterations(20, [{ iterations: 1_000_000, cpuMs: 6.5 }, { iterations: 3_000_000, cpuMs: 9.5 }]);
    expect(g.iterations).toBe(10_000_000);
    expect(g.cpuMs).toBeCloseTo(20, 6);
  });

  it('falls back to proportional when noise gives a line that falls with more iterations', () => {
    const g = nextIterations(20, [{ iterations: 1_000_000, cpuMs: 9 }, { iterations: 3_000_000, cpuMs: 8 }]);
    expect(g.iterations).toBe(7_500_000);
  });

  it('stays within what web-stress accepts', () => {
    expect(nextIterations(200, [{ iterations: 1_000_000, cpuMs: 0.1 }]).iterations).toBe(50_000_000);
    expect(nextIterations(1, [{ iterations: 1_000_000, cpuMs: 500 }]).iterations).toBe(100_000);
  });
});

describe('fitLine', () => {
  it('splits a fixed cost from the cost of an iteration', () => {
    const f = fitLine([{ iterations: 1_000_000, cpuMs: 6.5 }, { iterations: 3_000_000, cpuMs: 9.5 }]);
    expect(f.fixedMs).toBeCloseTo(5, 6);
    expect(f.perIterationMs).toBeCloseTo(1.5e-6, 12);
  });
  it('is proportional when noise makes the line fall or cross below zero', () => {
    expect(fitLine([{ iterations: 1_000_000, cpuMs: 9 }, { iterations: 3_000_000, cpuMs: 8 }])).toEqual({ fixedMs: 0, perIterationMs: 8 / 3_000_000 });
    expect(fitLine([{ iterations: 1_000_000, cpuMs: 1 }, { iterations: 3_000_000, cpuMs: 9 }]).fixedMs).toBe(0);
  });
});
