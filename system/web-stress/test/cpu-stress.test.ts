import { describe, expect, it } from 'vitest';
import { CpuStress } from '../src/cpu-stress.ts';
import { workerThreadPool } from '../src/cpu-worker-pool.ts';
import { FakeClock, FakeMeter, FakePool, flush } from './fakes.ts';

function setup(limitCores: number) {
  const clock = new FakeClock();
  const meter = new FakeMeter(limitCores);
  const pools: FakePool[] = [];
  const engine = new CpuStress({
    clock,
    meter,
    pool: (threads, periodMs) => {
      const pool = new FakePool(threads, periodMs);
      pools.push(pool);
      return pool;
    },
  });
  /** Advances time in 100 ms steps while a simulated container burns what the duty says. */
  const run = (ms: number, efficiency = 1, overheadCores = 0) => {
    for (let t = 0; t < ms; t += 100) {
      const pool = pools.at(-1);
      const busyCores = pool && !pool.terminated ? pool.duty * pool.threads * efficiency : 0;
      meter.micros += (busyCores + overheadCores) * 100 * 1000;
      clock.advance(100);
    }
  };
  const measuredShare = (ms: number, efficiency = 1, overheadCores = 0) => {
    const before = meter.micros;
    run(ms, efficiency, overheadCores);
    return ((meter.micros - before) / (ms * 1000 * limitCores)) * 100;
  };
  return { clock, meter, pools, engine, run, measuredShare };
}

describe('CpuStress', () => {
  it('uses ceil(limit) threads and ramps the duty linearly', async () => {
    const { engine, pools, run } = setup(1.5);
    await engine.start({ target: 80, rampS: 2, durationS: 10 });
    expect(pools[0].threads).toBe(2);
    expect(pools[0].periodMs).toBe(100);
    run(2000);
    // before the first correction: k × 100 ms into a 2 s ramp to 80 % of 1.5 cores on 2 threads
    expect(pools[0].duties.slice(0, 5).map((d) => Math.round(d * 1000) / 1000)).toEqual([0, 0.03, 0.06, 0.09, 0.12]);
    // a perfect plant needs no correction: the duty stays on the line through the whole ramp
    expect(pools[0].duties[10]).toBeCloseTo(0.3, 2);
    expect(pools[0].duties[20]).toBeCloseTo(0.6, 2);
  });

  it('converges within ±5 points on the target despite losses and overhead', async () => {
    const { engine, measuredShare } = setup(0.5);
    await engine.start({ target: 80, rampS: 2, durationS: 60 });
    measuredShare(8000, 0.85, 0.02);
    const share = measuredShare(5000, 0.85, 0.02);
    expect(share).toBeGreaterThan(75);
    expect(share).toBeLessThan(85);
    expect(engine.status()?.detail.measured_percent).toBeGreaterThan(75);
  });

  it('releases the workers after ramp + duration and keeps no timer', async () => {
    const { engine, pools, clock, run } = setup(1);
    await engine.start({ target: 50, rampS: 1, durationS: 2 });
    run(2900);
    expect(engine.status()?.phase).toBe('hold');
    run(200);
    await flush();
    expect(engine.status()).toBeNull();
    expect(pools[0].terminated).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('replaces a running stress: the old workers are terminated first', async () => {
    const { engine, pools } = setup(2);
    await engine.start({ target: 30, rampS: 0, durationS: 60 });
    const status = await engine.start({ target: 70, rampS: 0, durationS: 60 });
    expect(pools).toHaveLength(2);
    expect(pools[0].terminated).toBe(true);
    expect(pools[1].terminated).toBe(false);
    expect(status.target).toBe(70);
  });

  it('stop returns what ran and leaves nothing behind', async () => {
    const { engine, pools, clock } = setup(1);
    await engine.start({ target: 40, rampS: 5, durationS: 5 });
    const stopped = await engine.stop();
    expect(stopped).toMatchObject({ kind: 'cpu', target: 40, unit: '%', ramp_s: 5, duration_s: 5 });
    expect(pools[0].terminated).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    expect(await engine.stop()).toBeNull();
  });
});

describe('workerThreadPool (real threads)', () => {
  it('burns about duty × period and nothing after terminate', async () => {
    const pool = workerThreadPool(1, 50);
    pool.setDuty(0.5);
    await new Promise((resolve) => setTimeout(resolve, 100)); // thread start-up
    const before = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = process.cpuUsage(before);
    const share = (used.user + used.system) / 1000 / (performance.now() - t0);
    await pool.terminate();
    // loose: the host is shared, but 0 or a full core would mean the duty cycle is broken
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.85);
    const after = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const idle = process.cpuUsage(after);
    expect((idle.user + idle.system) / 1000 / 200).toBeLessThan(0.15);
  });
});
