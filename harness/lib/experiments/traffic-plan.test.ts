import { describe, expect, it } from 'vitest';
import {
  HOST_HARD_SHARE,
  CalibrationError,
  levelSchedule,
  limitCandidates,
  median,
  planTraffic,
  requestCost,
  requestHostMs,
  stepSeconds,
  targetProblems,
  wholeRates,
  windowMean,
  type PlanInput,
  type StepSample,
  type TrafficTargets,
} from './traffic-plan.ts';

const step = (over: Partial<StepSample>): StepSample => ({ rps: 0, plannedRps: 0, cpuPct: 6, netMbps: 0.02, hostBusyCores: 0.3, ...over });

const targets: TrafficTargets = {
  cpuPct: 88,
  networkPct: 90,
  replicas: 3,
  linkMbps: 20,
  cpuThreshold: 75,
  networkThresholdMin: 65,
  networkThresholdMax: 35,
  maxReplicas: 3,
};

describe('requestCost', () => {
  it('turns a rise of the % of a limit per request/s into ms of CPU per request', () => {
    // 10 rps raised a 0.5-CPU replica from 6 % to 46 %: 0.2 CPU-s per s, 20 ms a request
    const c = requestCost('pi', step({}), step({ rps: 10, plannedRps: 10, cpuPct: 46, netMbps: 0.52, hostBusyCores: 0.6 }), 0.5);
    expect(c.cpuMs).toBeCloseTo(20, 6);
    expect(c.mbpsPerRps).toBeCloseTo(0.05, 6);
    expect(c.hostMs).toBeCloseTo(30, 6);
  });

  it('uses the rate the generators achieved, not the one asked for', () => {
    const c = requestCost('pi', step({}), step({ rps: 9.5, plannedRps: 10, cpuPct: 44 }), 0.5);
    expect(c.cpuMs).toBeCloseTo((0.38 * 500) / 9.5, 6);
  });

  it('takes one request a second less at a low rate for noise, not a shortfall', () => {
    expect(requestCost('pi', step({}), step({ rps: 2.5, plannedRps: 3, cpuPct: 20 }), 0.5).cpuMs).toBeCloseTo((0.14 * 500) / 2.5, 6);
  });

  it('refuses a step the generators could not drive', () => {
    expect(() => requestCost('pi', step({}), step({ rps: 13, plannedRps: 24, cpuPct: 40 }), 0.5)).toThrow(/sent 13.0 of 24.0 requests\/s/);
  });

  it('takes a probe short of its rate at the rate actually sent, but not one that sent nothing', () => {
    // 20.6 of 24 requests/s (seen on the lab): a rise of 19 points at 0.5 CPU is 95 ms/s over 20.6 requests
    const c = requestCost('probe', step({ cpuPct: 10 }), step({ rps: 20.6, plannedRps: 24, cpuPct: 29 }), 0.5, 'cpu', false);
    expect(c.cpuMs).toBeCloseTo(95 / 20.6, 2);
    expect(() => requestCost('probe', step({}), step({ rps: 0, plannedRps: 24, cpuPct: 29 }), 0.5, 'cpu', false)).toThrow(/sent no request/);
  });

  it('refuses a rise lost in noise', () => {
    expect(() => requestCost('pi', step({ cpuPct: 9.5 }), step({ rps: 3, plannedRps: 3, cpuPct: 9.7 }), 0.5)).toThrow(CalibrationError);
  });

  it('sizes a network stream by its network: a small CPU rise is its cost, a small network rise is refused', () => {
    const c = requestCost('data', step({}), step({ rps: 4.5, plannedRps: 4.3, cpuPct: 8, netMbps: 8.45 }), 0.5, 'network');
    expect(c.cpuMs).toBeCloseTo((0.02 * 500) / 4.5, 6);
    expect(c.mbpsPerRps).toBeCloseTo(8.43 / 4.5, 6);
    expect(() => requestCost('data', step({}), step({ rps: 4.5, plannedRps: 4.3, cpuPct: 30, netMbps: 0.3 }), 0.5, 'network')).toThrow(/network by 0.28 Mbps/);
  });

  it('has no host cost where the host is not measured', () => {
    expect(requestCost('pi', step({ hostBusyCores: null }), step({ rps: 10, plannedRps: 10, cpuPct: 40 }), 1).hostMs).toBeNull();
  });
});

describe('median of noisy samples', () => {
  it('is not moved by one outlier either way', () => {
    expect(median([44, 45, 46, 99, 45])).toBe(45);
    expect(median([44, 45, 46, 0, 45])).toBe(45);
    expect(median([1, 2, 3, 4])).toBe(2.5);
  });
  it('refuses no samples', () => expect(() => median([])).toThrow(/no samples/));
});

// a request measured at 0.5 CPU: 20 ms of CPU, 100 KiB answered (0.82 Mbps per request/s), 45 ms of the host
const request = { iterations: 12_000_000, kb: 100, cpuMs: 20, mbpsPerRps: 0.82, hostMs: 45 };
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  request,
  perKibMs: 0.01,
  hostPerKibMs: 0.02,
  idleCpuMsPerS: 30,
  idleNetMbps: 0,
  idleHostCores: 0.3,
  sharedHostCores: 2,
  hostBudgetPct: 80,
  workerCores: null,
  ...over,
});

describe('requestHostMs', () => {
  const request = { cpuMs: 32, kb: 200 };
  it('adds the median path cost of the request steps to the request that will be sent', () => {
    // the case that let a level past the host's cores through: 37 ms for a 14 ms request, 53 ms for a 32 ms one
    const steps = [{ cpuMs: 13.6, hostMs: 37.3 }, { cpuMs: 32, hostMs: 53 }];
    expect(requestHostMs(steps, request)).toBeCloseTo(32 + (23.7 + 21) / 2, 6);
    expect(requestHostMs(steps, request)!).toBeGreaterThan((37.3 + 53) / 2);
  });

  it('counts the estimate from the probe and answers steps as one more', () => {
    // 0.25 CPU on a noisy host: request steps at 2.5 requests/s gave paths of 46, 169 and 116 ms;
    // the probe at 10.9 requests/s 26 ms, answers 0.07 ms a KiB
    const steps = [{ cpuMs: 13.8, hostMs: 59.8 }, { cpuMs: 27.4, hostMs: 196.4 }, { cpuMs: 28.4, hostMs: 144.4 }];
    const r = { cpuMs: 28, kb: 423 };
    const model = { probe: { cpuMs: 1.5, hostMs: 27.5 }, hostPerKibMs: 0.07 };
    const modelMs = 26 + 0.07 * 423 + 28;
    expect(requestHostMs(steps, r, model)).toBeCloseTo(((116 + 28) + modelMs) / 2, 6);
    expect(requestHostMs(steps, r)).toBeCloseTo(116 + 28, 6);
  });

  it('leaves out a model it cannot build', () => {
    const steps = [{ cpuMs: 30, hostMs: 50 }];
    expect(requestHostMs(steps, request, { probe: { cpuMs: 1, hostMs: null }, hostPerKibMs: 0.1 })).toBe(52);
    expect(requestHostMs(steps, request, { probe: { cpuMs: 1, hostMs: 20 }, hostPerKibMs: null })).toBe(52);
  });

  it('is robust to one noisy step of three', () => {
    expect(requestHostMs([{ cpuMs: 30, hostMs: 50 }, { cpuMs: 40, hostMs: 61 }, { cpuMs: 38, hostMs: 140 }], { cpuMs: 40, kb: 0 })).toBe(61);
  });

  it("never counts a host rise below the replica's own CPU as negative", () => {
    expect(requestHostMs([{ cpuMs: 40, hostMs: 30 }], { cpuMs: 40, kb: 0 })).toBe(40);
  });

  it('is unknown without anything that measured the host', () => {
    expect(requestHostMs([], request)).toBeNull();
    expect(requestHostMs([], request, { probe: { cpuMs: 1, hostMs: null }, hostPerKibMs: null })).toBeNull();
  });
});

describe('planTraffic', () => {
  it('puts each replica at both target shares with the measured request, one level per scale-up', () => {
    const p = planTraffic(input({ sharedHostCores: 8 }), targets, [0.5]);
    expect(p.limitCpus).toBe(0.5);
    // (440 − 30) / 20 ≈ 20.5 requests/s a replica; 18 Mbps / 20.5 / 0.0082 ≈ 107 KiB
    expect(p.request.kb).toBeGreaterThanOrEqual(106);
    expect(p.request.kb).toBeLessThanOrEqual(108);
    expect(p.request.iterations).toBe(12_000_000);
    expect(p.levels).toHaveLength(2);
    expect(p.levels[0].rps).toBeCloseTo(410 / p.request.cpuMs, 1);
    expect(p.levels[1].rps).toBeCloseTo(2 * p.levels[0].rps, 1);
    expect(p.levels[0].expectedCpuPct).toBeCloseTo(88, 0);
    expect(p.levels[0].expectedNetworkPct).toBeCloseTo(90, 0);
  });

  it('resizes the answer for a smaller limit so the network share stays the same', () => {
    const half = planTraffic(input({ sharedHostCores: null }), targets, [0.5]);
    const quarter = planTraffic(input({ sharedHostCores: null }), targets, [0.25]);
    expect(quarter.levels[0].rps).toBeLessThan(half.levels[0].rps / 2 + 1);
    expect(quarter.request.kb).toBeGreaterThan(2 * half.request.kb);
    expect(Math.abs(quarter.levels[0].expectedNetworkPct - 90)).toBeLessThan(2); // whole KiB
    expect(quarter.levels[0].expectedCpuPct).toBeCloseTo(88, 0);
  });

  it('falls back to a smaller limit when the shared host cannot carry the last level, and says why', () => {
    const p = planTraffic(input(), targets, [1, 0.5, 0.25]);
    expect(p.limitCpus).toBeLessThan(1);
    expect(p.rejected[0].limitCpus).toBe(1);
    expect(p.rejected[0].why).toMatch(/of the host's 2 cores busy, above the budget of 1.6/);
    expect(p.hostPeakCores!).toBeLessThanOrEqual(1.6);
    expect(p.overHostBudget).toBeNull();
  });

  it('takes the limit closest to the host budget when none keeps within it, and says so', () => {
    // 0.25 CPU, last level on 2 replicas: 2 × (220 − 30) / ~20 ≈ 19 requests/s × 45 ms + 0.3 idle + 0.06 ≈ 1.2 cores
    const p = planTraffic(input({ sharedHostCores: 1.5, hostBudgetPct: 60 }), targets, [0.5, 0.25]);
    expect(p.limitCpus).toBe(0.25);
    expect(p.hostPeakCores!).toBeGreaterThan(0.9);
    expect(p.hostPeakCores!).toBeLessThanOrEqual(1.5 * HOST_HARD_SHARE);
    expect(p.overHostBudget).toMatch(/above the budget of 0.9 \(host_budget_pct 60\)/);
    expect(p.rejected.map((r) => r.limitCpus)).toEqual([0.5]);
  });

  it('ignores the host on a lab whose generators do not share it', () => {
    const p = planTraffic(input({ sharedHostCores: null, idleHostCores: null }), targets, [1]);
    expect(p.limitCpus).toBe(1);
    expect(p.hostPeakCores).toBeNull();
  });

  it('fails at once, naming what bounds it, when the answers alone would cost most of the CPU target', () => {
    expect(() => planTraffic(input({ perKibMs: 0.5, sharedHostCores: null }), targets, [0.25])).toThrow(/answers alone \(\d+ KiB each\) would cost the replica most of the CPU target/);
  });

  it('fails when answers add no network', () => {
    expect(() => planTraffic(input({ request: { ...request, mbpsPerRps: 0 } }), targets, [0.5])).toThrow(/added no network traffic/);
  });

  it('fails when no limit fits, listing every limit tried', () => {
    expect(() => planTraffic(input({ sharedHostCores: 0.5 }), targets, [0.5, 0.25])).toThrow(/at 0.5 CPU, .*; at 0.25 CPU, /);
  });

  it('refuses a limit the idle replica alone mostly fills', () => {
    expect(planTraffic(input({ sharedHostCores: null, idleHostCores: null }), targets, [0.5, 0.1]).limitCpus).toBe(0.5);
    expect(() => planTraffic(input({ sharedHostCores: null, idleHostCores: null }), targets, [0.08])).toThrow(/idle replica alone uses 38 %/);
  });

  it('refuses a limit above the smallest worker', () => {
    const p = planTraffic(input({ workerCores: 1, sharedHostCores: null }), targets, [2, 1]);
    expect(p.limitCpus).toBe(1);
    expect(p.rejected[0].why).toMatch(/only 1 cores/);
  });
});

describe('targetProblems', () => {
  it('accepts the defaults against the default rules', () => expect(targetProblems(targets)).toEqual([]));
  it('names a target that does not cross the threshold', () => {
    expect(targetProblems({ ...targets, cpuPct: 70 }).join()).toMatch(/does not exceed the scale-up rule's cpu_threshold 75/);
  });
  it('names a target that would scale past the last replica', () => {
    // 5 replicas: after the last scale-up each keeps 4/5 of 99 %
    expect(targetProblems({ ...targets, cpuPct: 99, replicas: 5, maxReplicas: 10 }).join()).toMatch(/keep 79.2 % CPU/);
  });
  it('names more replicas than the rules allow', () => {
    expect(targetProblems({ ...targets, maxReplicas: 2 }).join()).toMatch(/above the rules' max_replicas 2/);
  });
});

describe('schedules', () => {
  it('sends whole requests whose running total follows a fractional rate', () => {
    const r = wholeRates(new Array(10).fill(7.4));
    expect(r.reduce((a, b) => a + b, 0)).toBe(74);
    expect(new Set(r)).toEqual(new Set([7, 8]));
  });

  it('ramps into each level, holds it, and ramps down', () => {
    const s = levelSchedule([10, 20], { leadS: 2, rampS: 1, holdS: 3, rampDownS: 1 });
    expect(s).toEqual([0, 0, 5, 10, 10, 10, 15, 20, 20, 20, 10]);
  });

  it('tries the app limit first, then the fallbacks or halves of it', () => {
    expect(limitCandidates(1)).toEqual([1, 0.5, 0.25, 0.125]);
    expect(limitCandidates(0.5, [0.3, 0.75, 0.2])).toEqual([0.5, 0.3, 0.2]);
  });
});

describe('calibration windows', () => {
  it('averages a window, leaving out its extremes once there are 6 samples or more', () => {
    expect(windowMean([10, 30])).toBe(20);
    expect(windowMean([0, 16, 16, 32, 16, 99])).toBe(20);
    expect(() => windowMean([])).toThrow(/no samples/);
  });
  it('lengthens a step at a low rate so its window holds enough requests, within bounds', () => {
    expect(stepSeconds(20, 6)).toBe(6);
    expect(stepSeconds(2, 6)).toBe(15); // 24 requests in the 12 s left after the edges
    expect(stepSeconds(0.5, 6)).toBe(24);
    expect(stepSeconds(0, 6)).toBe(6);
  });
});
