import { describe, expect, it } from 'vitest';
import { alertFor, auth, setup, TOKEN } from './helpers.ts';

const json = { 'content-type': 'application/json' };

describe('POST /alert', () => {
  it('401 without a token, with a wrong one, or with another scheme; nothing is decided or done', async () => {
    const h = setup();
    const body = alertFor(h.swarm);
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
      const res = await h.app.inject({ method: 'POST', url: '/alert', headers: { ...json, ...(authorization ? { authorization } : {}) }, payload: body });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect(h.named('alert_received')).toHaveLength(0);
    expect(h.swarm.updates).toHaveLength(0);
    expect(h.swarm.calls).toBe(0);
  });

  it('400 naming the problem for malformed JSON, a body that is not an alert, or none', async () => {
    const h = setup();
    const bad = await h.app.inject({ method: 'POST', url: '/alert', headers: { ...json, ...auth }, payload: '{"id": "x",' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/not valid JSON/);

    const wrong = await h.app.inject({ method: 'POST', url: '/alert', headers: { ...json, ...auth }, payload: { ...alertFor(h.swarm), m: { cpu: 'high' } } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().message).toMatch(/^m\.cpu: got "high"/m);

    const extra = await h.app.inject({ method: 'POST', url: '/alert', headers: { ...json, ...auth }, payload: { ...alertFor(h.swarm), evil: 1 } });
    expect(extra.statusCode).toBe(400);

    const empty = await h.app.inject({ method: 'POST', url: '/alert', headers: { ...json, ...auth }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toMatch(/empty body/);

    expect(h.named('alert_received')).toHaveLength(0);
    expect(h.swarm.updates).toHaveLength(0);
  });

  it('413 for a body over the limit, before parsing', async () => {
    const h = setup();
    const res = await h.app.inject({ method: 'POST', url: '/alert', headers: { ...json, ...auth }, payload: JSON.stringify({ pad: 'x'.repeat(20_000) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/limit of 16384 bytes/);
  });

  it('400 for a text body, 415 for an unknown content-type', async () => {
    const h = setup();
    const text = await h.app.inject({ method: 'POST', url: '/alert', headers: { 'content-type': 'text/plain', ...auth }, payload: 'hi' });
    expect(text.statusCode).toBe(400);
    expect(text.json().message).toMatch(/\(root\): got "hi", .*object/);
    const xml = await h.app.inject({ method: 'POST', url: '/alert', headers: { 'content-type': 'application/xml', ...auth }, payload: '<a/>' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().message).toMatch(/expected application\/json/);
    expect(h.named('alert_received')).toHaveLength(0);
  });

  it('unknown service or node: answered 202 accepted:false, logged, never acted on', async () => {
    const h = setup();
    const svc = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, { service: 'nginx' }) });
    expect(svc.statusCode).toBe(202);
    expect(svc.json()).toMatchObject({ accepted: false, reason: 'unknown_service' });
    const nodeRes = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, { node: 'worker-9' }) });
    expect(nodeRes.json()).toMatchObject({ accepted: false, reason: 'unknown_node' });
    await h.manager.idle();
    expect(h.swarm.updates).toHaveLength(0);
    expect(h.named('alert_ignored').map((e) => e.reason)).toEqual(['unknown_service', 'unknown_node']);
  });

  it('services outside manager.services are not acted on', async () => {
    const h = setup({ yaml: 'manager: {services: [api]}' });
    const res = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm) });
    expect(res.json()).toMatchObject({ accepted: false, reason: 'unmanaged_service' });
  });

  it('a stale alert (task already moved) is ignored', async () => {
    const h = setup();
    const res = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, { node: 'worker-1' }) });
    expect(res.json()).toMatchObject({ accepted: false, reason: 'stale' });
    expect(h.swarm.updates).toHaveLength(0);
  });

  it('a flood of 1,000 identical alerts sent concurrently leads to exactly one action', async () => {
    const h = setup();
    const body = alertFor(h.swarm);
    const replies = await Promise.all(
      Array.from({ length: 1000 }, () => h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: body })),
    );
    await h.manager.idle();
    expect(replies.every((r) => r.statusCode === 202)).toBe(true);
    expect(replies.filter((r) => r.json().accepted)).toHaveLength(1);
    const reasons = new Set(replies.filter((r) => !r.json().accepted).map((r) => r.json().reason));
    // the first to arrive acts; every copy of its id is a duplicate, whatever else holds
    expect([...reasons]).toEqual(['duplicate']);
    expect(h.named('action_started')).toHaveLength(1);
    expect(h.swarm.updates).toHaveLength(2); // migrate + relax
    expect(h.swarm.updates.every((u) => (u.spec.TaskTemplate?.ForceUpdate ?? 0) === 0)).toBe(true);
    expect(h.named('alert_received')).toHaveLength(1000);
    expect(h.named('decision_made')).toHaveLength(1000);
  });
});

describe('POST /report and breach counting', () => {
  it('401 without token; 400 for a bad report; 202 with the count otherwise', async () => {
    const h = setup();
    const r = { node: 'worker-3', t: h.clock.now(), containers: [] };
    expect((await h.app.inject({ method: 'POST', url: '/report', payload: r })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'POST', url: '/report', headers: auth, payload: { ...r, t: -1 } })).statusCode).toBe(400);
    const ok = await h.app.inject({ method: 'POST', url: '/report', headers: auth, payload: r });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ accepted: 0 });
  });

  it('with alert_breach_credit 1 the manager needs its own breaches from reports', async () => {
    const h = setup({ yaml: 'manager: {alert_breach_credit: 1}' });
    const first = alertFor(h.swarm);
    const waiting = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: first });
    expect(waiting.json()).toMatchObject({ accepted: false, reason: 'waiting_breach', detail: '1 of 2 consecutive breaches' });
    // a report sample newer than that alert, still breaching, makes it two
    h.clock.t += 1000;
    const sample = { service: 'web-stress', container: first.container, task: first.task, m: first.m };
    await h.app.inject({ method: 'POST', url: '/report', headers: auth, payload: { node: first.node, t: h.clock.now(), containers: [sample] } });
    const state = (await h.app.inject({ url: '/state' })).json();
    expect(state.breachCounters).toEqual([expect.objectContaining({ container: first.container, count: 2, scenario: 'scenario1_migration' })]);
    h.clock.t += 1000;
    const acted = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, { id: 'x:2' }) });
    expect(acted.json()).toMatchObject({ accepted: true, decision: 'migrate' });
  });

  it('a sample that breaches nothing resets the counter', async () => {
    const h = setup({ yaml: 'manager: {alert_breach_credit: 1}' });
    const a = alertFor(h.swarm);
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: a });
    h.clock.t += 1000;
    const calm = { service: 'web-stress', container: a.container, task: a.task, m: { ...a.m, cpu: 10 } };
    await h.app.inject({ method: 'POST', url: '/report', headers: auth, payload: { node: a.node, t: h.clock.now(), containers: [calm] } });
    h.clock.t += 1000;
    const again = await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm) });
    expect(again.json()).toMatchObject({ reason: 'waiting_breach', detail: '1 of 2 consecutive breaches' });
  });
});

describe('GET routes', () => {
  it('/health answers', async () => {
    const h = setup();
    const res = await h.app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('/events?since filters by time and rejects a bad since naming it', async () => {
    const h = setup();
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, { service: 'nginx' }) });
    const all = (await h.app.inject({ url: '/events' })).json().events;
    expect(all.map((e: { event: string }) => e.event)).toEqual(['alert_received', 'decision_made', 'alert_ignored']);
    expect((await h.app.inject({ url: `/events?since=${h.clock.now()}` })).json().events).toEqual([]);
    expect((await h.app.inject({ url: `/events?since=${h.clock.now() - 1}` })).json().events).toHaveLength(3);
    for (const since of ['abc', '-5', '1e3', '']) {
      const bad = await h.app.inject({ url: `/events?since=${since}` });
      expect(bad.statusCode, since).toBe(400);
      expect(bad.json().message).toMatch(/^since: got/);
    }
  });

  it('/state shows services, in-flight actions and cooldowns', async () => {
    const h = setup();
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm) });
    const during = (await h.app.inject({ url: '/state' })).json();
    expect(during.inFlight).toEqual([expect.objectContaining({ kind: 'migrate', service: 'web-stress' })]);
    expect(during.services).toEqual([expect.objectContaining({ name: 'web-stress', replicas: 1 })]);
    await h.manager.idle();
    const after = (await h.app.inject({ url: '/state' })).json();
    expect(after.inFlight).toEqual([]);
    expect(after.cooldowns).toEqual([expect.objectContaining({ service: 'web-stress', action: 'migrate', remainingMs: 30_000 })]);
  });
});
