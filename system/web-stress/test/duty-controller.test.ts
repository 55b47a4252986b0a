import { describe, expect, it } from 'vitest';
import { command, correct, threadDuty } from '../src/duty-controller.ts';

describe('threadDuty', () => {
  it('spreads the share of the limit over the threads', () => {
    expect(threadDuty(80, 0.5, 1)).toBeCloseTo(0.4); // 0.4 cores on one thread
    expect(threadDuty(80, 1.5, 2)).toBeCloseTo(0.6); // 1.2 cores on two threads
    expect(threadDuty(50, 2, 2)).toBeCloseTo(0.5);
  });

  it('stays within 0 and 1', () => {
    expect(threadDuty(100, 4, 2)).toBe(1);
    expect(threadDuty(-5, 1, 1)).toBe(0);
  });
});

describe('closed loop', () => {
  it('converges on the target although the plant loses 20 % and adds 3 points of overhead', () => {
    const plant = (cmd: number) => cmd * 0.8 + 3;
    let control = { integral: 0 };
    let measured = 0;
    for (let step = 0; step < 30; step++) {
      measured = plant(command(control, 60));
      control = correct(control, 60, measured);
    }
    expect(measured).toBeGreaterThan(59);
    expect(measured).toBeLessThan(61);
  });

  it('bounds the correction when the target cannot be reached', () => {
    let control = { integral: 0 };
    for (let step = 0; step < 100; step++) control = correct(control, 90, 10);
    expect(control.integral).toBe(40);
    expect(command(control, 90)).toBe(100);
  });

  it('commands nothing at level 0 whatever the correction', () => {
    expect(command({ integral: 30 }, 0)).toBe(0);
  });
});
