import { describe, expect, it } from 'vitest';
import { alertFor, auth, setup, TOKEN } from './helpers.ts';

const subject = { container: 'c0ffee000001aa'.padEnd(64, '0'), task: 'task0001', node: 'worker-3' };
const url = (actionId: string, query = '') => `/actions/${actionId}/handoff${query}`;

/** Resolves after real time passes: a held question must still be open then. */
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /actions/:actionId/handoff', () => {
  it('401 without a token or with a wrong one, logged; the hand-off is not looked at', async () => {
    const h = setup();
    h.manager.handoffs.begin('migrate-x-1', subject);
    h.manager.handoffs.release('migrate-x-1');
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`]) {
      const res = await h.app.inject({ url: url('migrate-x-1'), headers: authorization ? { authorization } : {} });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toEqual({ error: 'unauthorized', message: 'missing or wrong bearer token' });
    }
    expect(h.named('request_rejected')).toMatchObject([
      { status: 401, path: '/actions/:actionId/handoff' },
      { status: 401, path: '/actions/:actionId/handoff' },
      { status: 401, path: '/actions/:actionId/handoff' },
    ]);
  });

  it('400 naming wait_ms and the value for a wait that is not whole milliseconds or over 30000 ms', async () => {
    const h = setup();
    h.manager.handoffs.begin('migrate-x-1', subject);
    const cases = [
      ['abc', /^wait_ms: got "abc", expected whole milliseconds$/],
      ['-5', /^wait_ms: got "-5", expected whole milliseconds$/],
      ['30001', /^wait_ms: got "30001", at most 30000 ms$/],
    ] as const;
    for (const [waitMs, message] of cases) {
      const res = await h.app.inject({ url: url('migrate-x-1', `?wait_ms=${waitMs}`), headers: auth });
      expect(res.statusCode, waitMs).toBe(400);
      expect(res.json()).toMatchObject({ error: 'bad_request' });
      expect(res.json().message, waitMs).toMatch(message);
    }
    const unknown = await h.app.inject({ url: url('migrate-x-1', '?wait=5'), headers: auth });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/wait/);
  });

  it('404 naming the id for an action without a hand-off', async () => {
    const h = setup();
    const res = await h.app.inject({ url: url('migrate-nope-7', '?wait_ms=0'), headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found', message: expect.stringContaining('migrate-nope-7') });
  });

  it('holds the question until the release, then answers 200 release:true with the container, task and node', async () => {
    const h = setup();
    h.manager.handoffs.begin('migrate-x-1', subject);
    let answered = false;
    const asking = h.app.inject({ url: url('migrate-x-1', '?wait_ms=30000'), headers: auth }).then((res) => {
      answered = true;
      return res;
    });
    await later(30);
    expect(answered).toBe(false);
    h.manager.handoffs.release('migrate-x-1');
    const res = await asking;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ release: true, ...subject, t: h.clock.now() });
  });

  it('answers 200 pending:true when wait_ms passes without a release', async () => {
    const h = setup();
    h.manager.handoffs.begin('migrate-x-1', subject);
    const res = await h.app.inject({ url: url('migrate-x-1', '?wait_ms=20'), headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ release: false, reason: 'replacement not ready within 20 ms', pending: true });
  });

  it('an agent asking as soon as its alert was answered 202 is held, not told 404, and released by the migration', async () => {
    const h = setup();
    const old = h.swarm.liveTasks('web-stress')[0]!;
    const alert = alertFor(h.swarm);
    const alerted = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alert });
    expect(alerted.json()).toMatchObject({ accepted: true, decision: 'migrate' });
    const res = await h.app.inject({ url: url(alerted.json().actionId, '?wait_ms=30000'), headers: auth });
    await h.manager.idle();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ release: true, container: alert.container, task: old.id, node: 'worker-3' });
  });
});
