import { afterEach, describe, expect, it, vi } from 'vitest';
import { Handoffs } from '../src/handoff.ts';
import { FakeClock } from './fake-swarm.ts';

const subject = { container: 'c0ffee000001aa'.padEnd(64, '0'), task: 'task0001', node: 'worker-3' };

function setup() {
  const clock = new FakeClock();
  return { clock, handoffs: new Handoffs(clock) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Handoffs', () => {
  it('a question asked before the release is held, then answered with the subject and the time of the release', async () => {
    vi.useFakeTimers();
    const { clock, handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    let answer: unknown;
    void handoffs.wait('migrate-web-1', 10_000)!.then((a) => (answer = a));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(answer).toBeUndefined();
    clock.t += 1_200;
    handoffs.release('migrate-web-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(answer).toEqual({ release: true, ...subject, t: clock.now() });
    // the timer was cleared: nothing answers a second time
    await vi.advanceTimersByTimeAsync(10_000);
    expect(answer).toMatchObject({ release: true });
  });

  it('a release after early_stop_delay answers that much later, and not at all if the action ended first', async () => {
    vi.useFakeTimers();
    const { handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    let answer: unknown;
    void handoffs.wait('migrate-web-1', 10_000)!.then((a) => (answer = a));
    handoffs.release('migrate-web-1', 250);
    await vi.advanceTimersByTimeAsync(249);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toMatchObject({ release: true, container: subject.container });

    handoffs.begin('migrate-web-2', subject);
    let second: unknown;
    void handoffs.wait('migrate-web-2', 10_000)!.then((a) => (second = a));
    handoffs.release('migrate-web-2', 250);
    handoffs.end('migrate-web-2', 'the old task is already shut down');
    await vi.advanceTimersByTimeAsync(300);
    expect(second).toEqual({ release: false, reason: 'the old task is already shut down' });
  });

  it('every question held on one hand-off gets the release', async () => {
    const { handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    const first = handoffs.wait('migrate-web-1', 10_000)!;
    const second = handoffs.wait('migrate-web-1', 10_000)!;
    handoffs.release('migrate-web-1');
    expect(await first).toMatchObject({ release: true, container: subject.container });
    expect(await second).toMatchObject({ release: true, container: subject.container });
  });

  it('a question asked after the release is answered at once', async () => {
    vi.useFakeTimers();
    const { clock, handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    handoffs.release('migrate-web-1');
    const releasedAt = clock.now();
    clock.t += 3_000;
    let answer: unknown;
    void handoffs.wait('migrate-web-1', 10_000)!.then((a) => (answer = a));
    await vi.advanceTimersByTimeAsync(0);
    expect(answer).toEqual({ release: true, ...subject, t: releasedAt });
  });

  it('an end without a release answers release:false with the reason, also to a question asked later', async () => {
    const { handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    const held = handoffs.wait('migrate-web-1', 10_000)!;
    handoffs.end('migrate-web-1', 'migration failed: swarm update rollback_completed');
    const expected = { release: false, reason: 'migration failed: swarm update rollback_completed' };
    expect(await held).toEqual(expected);
    expect(await handoffs.wait('migrate-web-1', 10_000)).toEqual(expected);
  });

  it('an end after the release keeps the release', async () => {
    const { handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    handoffs.release('migrate-web-1');
    handoffs.end('migrate-web-1', 'the old task is already shut down');
    expect(await handoffs.wait('migrate-web-1', 10_000)).toMatchObject({ release: true, container: subject.container });
  });

  it('has no answer for an action it never began', () => {
    const { handoffs } = setup();
    expect(handoffs.wait('migrate-web-9', 10_000)).toBeUndefined();
    handoffs.release('migrate-web-9'); // nothing to release, nothing thrown
    handoffs.end('migrate-web-9', 'over');
    expect(handoffs.size).toBe(0);
  });

  it('a question that waits out wait_ms is answered pending, naming the wait, and may ask again', async () => {
    vi.useFakeTimers();
    const { handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    let answer: unknown;
    void handoffs.wait('migrate-web-1', 2_500)!.then((a) => (answer = a));
    await vi.advanceTimersByTimeAsync(2_499);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toEqual({ release: false, reason: 'replacement not ready within 2500 ms', pending: true });

    const again = handoffs.wait('migrate-web-1', 2_500)!;
    handoffs.release('migrate-web-1');
    expect(await again).toMatchObject({ release: true });
  });

  it('a release after the end does nothing', async () => {
    const { handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    handoffs.end('migrate-web-1', 'migration failed: timeout');
    handoffs.release('migrate-web-1');
    expect(await handoffs.wait('migrate-web-1', 10_000)).toEqual({ release: false, reason: 'migration failed: timeout' });
  });

  it('forgets an ended hand-off a minute after its end, at the next begin; a running one is kept', () => {
    const { clock, handoffs } = setup();
    handoffs.begin('migrate-web-1', subject);
    handoffs.end('migrate-web-1', 'the old task is already shut down');
    handoffs.begin('migrate-api-2', { ...subject, task: 'task0002' });
    clock.t += 60_001;
    handoffs.begin('migrate-db-3', { ...subject, task: 'task0003' });
    expect(handoffs.wait('migrate-web-1', 10_000)).toBeUndefined();
    expect(handoffs.wait('migrate-api-2', 10)).toBeDefined();
    expect(handoffs.size).toBe(2);
  });
});
