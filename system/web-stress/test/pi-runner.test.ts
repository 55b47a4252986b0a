import { describe, expect, it } from 'vitest';
import { computePi, leibnizSum } from '../src/pi.ts';
import { chunkedPiRunner } from '../src/pi-runner.ts';

describe('leibnizSum', () => {
  it('in chunks gives the very same sum as in one go', () => {
    const n = 1_000_003;
    let sum = 0;
    for (let k = 0; k < n; k += 65_536) sum = leibnizSum(k, Math.min(n, k + 65_536), sum);
    expect(4 * sum).toBe(computePi(n));
  });
});

describe('chunkedPiRunner', () => {
  it('computes what computePi computes, first come first served', async () => {
    const runner = chunkedPiRunner(1000);
    const done: number[] = [];
    const results = await Promise.all([25_000, 1000, 7].map((n, i) => runner.compute(n).then((pi) => (done.push(i), pi))));
    expect(results).toEqual([25_000, 1000, 7].map((n) => computePi(n)));
    expect(done).toEqual([0, 1, 2]);
    expect(runner.pending).toBe(0);
  });

  it('serves the event loop between chunks while work queues', async () => {
    const runner = chunkedPiRunner(100_000);
    // tens of ms of work per request, three queued
    const work = Array.from({ length: 3 }, () => runner.compute(2e7));
    expect(runner.pending).toBe(3);
    const t0 = performance.now();
    const turnMs = await new Promise<number>((resolve) => setImmediate(() => resolve(performance.now() - t0)));
    const workMs = await Promise.all(work).then(() => performance.now() - t0);
    // on the calling thread in one go, the turn would come only after all the work
    expect(turnMs).toBeLessThan(workMs / 3);
    expect(runner.pending).toBe(0);
  });

  it('fails queued work on close, and refuses new work', async () => {
    const runner = chunkedPiRunner(1000);
    const outcomes = Promise.allSettled([runner.compute(1e6), runner.compute(10)]);
    runner.close();
    const [busy, queued] = await outcomes;
    expect(busy).toMatchObject({ status: 'rejected', reason: new Error('work runner closed') });
    expect(queued).toMatchObject({ status: 'rejected', reason: new Error('work runner closed') });
    await expect(runner.compute(10)).rejects.toThrow('work runner closed');
  });

  it('refuses a chunk below 1', () => {
    expect(() => chunkedPiRunner(0)).toThrow('expected an integer ≥ 1');
  });
});
