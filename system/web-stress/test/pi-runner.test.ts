import { afterEach, describe, expect, it } from 'vitest';
import { computePi } from '../src/pi.ts';
import { workerPiRunner, workThreads, type PiRunner } from '../src/pi-runner.ts';

describe('workerPiRunner', () => {
  let runner: PiRunner | undefined;
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  it('starts its threads when told, or with the first request', async () => {
    runner = workerPiRunner(2);
    expect(runner.threads).toBe(0);
    await runner.compute(10);
    expect(runner.threads).toBe(2);
    await runner.close();
    runner = workerPiRunner(1);
    runner.start();
    expect(runner.threads).toBe(1);
    runner.start();
    expect(runner.threads).toBe(1);
  });

  it('computes what computePi computes, in order of arrival', async () => {
    runner = workerPiRunner(1);
    const results = await Promise.all([10, 1000, 7].map((n) => runner!.compute(n)));
    expect(results).toEqual([10, 1000, 7].map((n) => computePi(n)));
    expect(runner.pending).toBe(0);
  });

  it('leaves the event loop free while work queues', async () => {
    runner = workerPiRunner(1);
    // a few hundred ms of work per request, three queued
    const work = Array.from({ length: 3 }, () => runner!.compute(3e8));
    expect(runner.pending).toBe(3);
    // a timer due in 20 ms fires while the work runs; on the calling thread it would wait for all of it
    const t0 = performance.now();
    const timerMs = await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - t0), 20));
    const workDone = await Promise.all(work).then(() => performance.now() - t0);
    expect(timerMs).toBeLessThan(workDone);
    expect(runner.pending).toBe(0);
  });

  it('fails queued work on close, and refuses new work', async () => {
    runner = workerPiRunner(1);
    const outcomes = Promise.allSettled([runner.compute(3e8), runner.compute(10)]);
    await runner.close();
    const [busy, queued] = await outcomes;
    expect(busy).toMatchObject({ status: 'rejected', reason: new Error('work threads closed') });
    expect(queued).toMatchObject({ status: 'rejected', reason: new Error('work threads closed') });
    await expect(runner.compute(10)).rejects.toThrow('work threads closed');
  });

  it('refuses a thread count below 1', () => {
    expect(() => workerPiRunner(0)).toThrow('expected an integer ≥ 1');
  });
});

describe('workThreads', () => {
  it('defaults to 1 and reads WORK_THREADS', () => {
    expect(workThreads({})).toBe(1);
    expect(workThreads({ WORK_THREADS: '' })).toBe(1);
    expect(workThreads({ WORK_THREADS: '2' })).toBe(2);
  });

  it('names a bad value', () => {
    expect(() => workThreads({ WORK_THREADS: '0' })).toThrow('WORK_THREADS is "0"');
    expect(() => workThreads({ WORK_THREADS: 'two' })).toThrow('WORK_THREADS is "two"');
  });
});
