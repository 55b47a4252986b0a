import { describe, expect, it, vi } from 'vitest';
import { RampRunner, rampLevel } from '../src/ramp.ts';
import { FakeClock } from './fakes.ts';

describe('rampLevel', () => {
  const plan = { target: 80, rampS: 10, durationS: 20 };

  it('rises linearly from 0 to the target over the ramp', () => {
    expect(rampLevel(plan, 0)).toBe(0);
    expect(rampLevel(plan, 2500)).toBe(20);
    expect(rampLevel(plan, 5000)).toBe(40);
    expect(rampLevel(plan, 9999)).toBeCloseTo(79.99, 2);
  });

  it('holds the target for the duration after the ramp, then ends', () => {
    expect(rampLevel(plan, 10_000)).toBe(80);
    expect(rampLevel(plan, 29_999)).toBe(80);
    expect(rampLevel(plan, 30_000)).toBeNull();
  });

  it('starts at the target without a ramp', () => {
    expect(rampLevel({ target: 50, rampS: 0, durationS: 1 }, 0)).toBe(50);
    expect(rampLevel({ target: 50, rampS: 0, durationS: 1 }, 1000)).toBeNull();
  });
});

describe('RampRunner', () => {
  it('reports the level every tick and ends once, clearing its timer', () => {
    const clock = new FakeClock();
    const levels: number[] = [];
    const onEnd = vi.fn();
    const runner = new RampRunner(clock, { target: 100, rampS: 1, durationS: 1 }, 250, {
      onLevel: (level) => levels.push(level),
      onEnd,
    });
    runner.start();
    expect(runner.phase).toBe('ramp');
    clock.advance(1000);
    expect(levels).toEqual([0, 25, 50, 75, 100]);
    expect(runner.phase).toBe('hold');
    clock.advance(999);
    expect(onEnd).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(runner.running).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5000);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('never ends once stopped', () => {
    const clock = new FakeClock();
    const onEnd = vi.fn();
    const runner = new RampRunner(clock, { target: 1, rampS: 0, durationS: 1 }, 100, { onLevel: () => {}, onEnd });
    runner.start();
    runner.stop();
    clock.advance(2000);
    expect(onEnd).not.toHaveBeenCalled();
    expect(clock.pendingTimers).toBe(0);
  });
});
