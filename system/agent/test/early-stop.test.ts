import { describe, expect, it, vi } from 'vitest';
import { EarlyStop, type EarlyStopDeps, type MigratedContainer } from '../src/early-stop.ts';
import type { PostResponse } from '../src/http-poster.ts';
import { FakeClock, hexId, quietEvents, T_START } from './fakes.ts';

const migrated: MigratedContainer = { actionId: 'migrate-web-stress-1', alertId: `worker-1:${T_START}:1`, service: 'web-stress', id: hexId(1) };

const ok = (answer: unknown): PostResponse => ({ status: 200, body: JSON.stringify(answer) });
const release = (container = migrated.id) => ok({ release: true, container, task: 'task0001', node: 'worker-1', t: T_START });
const pending = ok({ release: false, reason: 'replacement not ready within 10000 ms', pending: true });

/**
 * The manager answers the questions with `answers` in turn, the last one again and again; an answer
 * may be a promise the test settles, for a question still held.
 */
function setup(answers: (PostResponse | Promise<PostResponse>)[], opts: { stopped?: string | null } & Partial<EarlyStopDeps> = {}) {
  const clock = new FakeClock();
  const events = quietEvents();
  const asked: { path: string; timeoutMs: number }[] = [];
  const signalled: string[] = [];
  const manager = {
    get: async (path: string, timeoutMs: number) => {
      asked.push({ path, timeoutMs });
      return answers[Math.min(asked.length - 1, answers.length - 1)]!;
    },
  };
  const stopper = {
    sendStopSignal: async (id: string) => {
      signalled.push(id);
      return opts.stopped === undefined ? 'SIGTERM' : opts.stopped;
    },
  };
  const early = new EarlyStop({ manager, stopper, events, now: () => clock.now(), ...opts });
  const named = (event: string) => events.since(0).filter((e) => e.event === event);
  /** Resolves once the migration's follow-up logged its outcome. */
  const outcome = () => vi.waitFor(() => expect([...named('early_stop_sent'), ...named('early_stop_skipped')]).toHaveLength(1));
  return { clock, early, asked, signalled, named, outcome };
}

describe('EarlyStop', () => {
  it('on the release, sends the container its stop signal and logs early_stop_sent', async () => {
    const h = setup([release()]);
    h.early.follow(migrated);
    await h.outcome();
    expect(h.asked).toEqual([{ path: '/actions/migrate-web-stress-1/handoff?wait_ms=10000', timeoutMs: 15_000 }]);
    expect(h.signalled).toEqual([migrated.id]);
    expect(h.named('early_stop_sent')).toMatchObject([
      { actionId: migrated.actionId, alertId: migrated.alertId, service: 'web-stress', container: migrated.id.slice(0, 12), t: T_START, signal: 'SIGTERM', questions: 1 },
    ]);
    expect(h.named('early_stop_skipped')).toEqual([]);
  });

  it('accepts a release naming the container by the 12-character id the alert gave', async () => {
    const h = setup([release(migrated.id.slice(0, 12))]);
    h.early.follow(migrated);
    await h.outcome();
    expect(h.signalled).toEqual([migrated.id]);
  });

  it('asks again after a pending answer, and stops on the release: two questions', async () => {
    const h = setup([pending, release()], { waitMs: 2_000 });
    h.early.follow(migrated);
    await h.outcome();
    expect(h.asked).toEqual([
      { path: '/actions/migrate-web-stress-1/handoff?wait_ms=2000', timeoutMs: 7_000 },
      { path: '/actions/migrate-web-stress-1/handoff?wait_ms=2000', timeoutMs: 7_000 },
    ]);
    expect(h.signalled).toEqual([migrated.id]);
    expect(h.named('early_stop_sent')).toMatchObject([{ questions: 2 }]);
  });

  it('a release naming another container (or too short an id to tell) sends nothing', async () => {
    for (const other of [hexId(2), migrated.id.slice(0, 11)]) {
      const h = setup([release(other)]);
      h.early.follow(migrated);
      await h.outcome();
      expect(h.signalled).toEqual([]);
      expect(h.named('early_stop_skipped')).toMatchObject([{ actionId: migrated.actionId, reason: `released container ${other} is not ${migrated.id.slice(0, 12)}` }]);
    }
  });

  it('an action the manager does not know (404) is skipped with the answer', async () => {
    const h = setup([{ status: 404, body: '{"error":"not_found","message":"no migration with a hand-off has id migrate-web-stress-1"}' }]);
    h.early.follow(migrated);
    await h.outcome();
    expect(h.asked).toHaveLength(1);
    expect(h.signalled).toEqual([]);
    expect(h.named('early_stop_skipped')).toMatchObject([{ reason: expect.stringMatching(/^manager answered 404: .*no migration with a hand-off/) }]);
  });

  it('a hand-off that ended without a release is skipped with the manager’s reason', async () => {
    const h = setup([ok({ release: false, reason: 'migration failed: swarm update rollback_completed' })]);
    h.early.follow(migrated);
    await h.outcome();
    expect(h.signalled).toEqual([]);
    expect(h.named('early_stop_skipped')).toMatchObject([{ reason: 'migration failed: swarm update rollback_completed' }]);
  });

  it('a container already gone when the signal goes out is skipped, not counted as sent', async () => {
    const h = setup([release()], { stopped: null });
    h.early.follow(migrated);
    await h.outcome();
    expect(h.signalled).toEqual([migrated.id]);
    expect(h.named('early_stop_sent')).toEqual([]);
    expect(h.named('early_stop_skipped')).toMatchObject([{ reason: 'container already gone' }]);
  });

  it('a question that fails (no answer from the manager) is skipped with the error', async () => {
    const failing = Promise.reject(new Error('no answer from http://manager:5000/actions/x/handoff within 15000 ms'));
    failing.catch(() => undefined); // handled by the follow-up, later than node's unhandled-rejection check may look
    const h = setup([failing]);
    h.early.follow(migrated);
    await h.outcome();
    expect(h.named('early_stop_skipped')).toMatchObject([{ reason: expect.stringMatching(/^error: Error: no answer from .* within 15000 ms$/) }]);
  });

  it('maxQuestions bounds the loop: after that many pending answers it gives up and says so', async () => {
    const h = setup([pending], { waitMs: 1_000, maxQuestions: 3 });
    h.early.follow(migrated);
    await h.outcome();
    expect(h.asked).toHaveLength(3);
    expect(h.signalled).toEqual([]);
    expect(h.named('early_stop_skipped')).toMatchObject([{ reason: 'no answer after 3 questions of 1000 ms' }]);
  });

  it('close() stops the loop after the question in flight, waits for it, and follows nothing new', async () => {
    let answer!: (res: PostResponse) => void;
    const held = new Promise<PostResponse>((resolve) => (answer = resolve));
    const h = setup([held, release()]);
    h.early.follow(migrated);
    await vi.waitFor(() => expect(h.asked).toHaveLength(1));
    let closed = false;
    const closing = h.early.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false); // the held question is still followed
    answer(pending);
    await closing;
    expect(h.asked).toHaveLength(1); // not asked again after the pending answer
    h.early.follow({ ...migrated, actionId: 'migrate-web-stress-2' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.asked).toHaveLength(1);
    expect(h.signalled).toEqual([]);
    expect(h.named('early_stop_sent')).toEqual([]);
  });
});
