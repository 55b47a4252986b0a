import { describe, expect, it } from 'vitest';
import { DeadlineSwarmPort } from '../src/deadline-swarm-port.ts';
import { Counter, Histogram, renderGauge } from '../src/exposition.ts';
import { alertFor, auth, setup, TOKEN } from './helpers.ts';

type Harness = ReturnType<typeof setup>;

/** Every sample line of an exposition, `name{labels}` → value; comment lines are checked for shape. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP \w+ .+|TYPE \w+ (counter|gauge|histogram))$/);
      continue;
    }
    const m = /^(\w+(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    out.set(m[1]!, m[2] === '+Inf' ? Infinity : Number(m[2]));
  }
  return out;
}

async function scrape(h: Harness): Promise<Map<string, number>> {
  const res = await h.app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return samples(res.body);
}

describe('GET /metrics', () => {
  it('answers without a token in the text format, every series there from the start', async () => {
    const h = setup();
    const res = await h.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body.endsWith('\n')).toBe(true);
    const s = samples(res.body);
    expect(s.get('swarmguard_manager_alerts_received_total{scenario="scenario1_migration"}')).toBe(0);
    expect(s.get('swarmguard_manager_alerts_received_total{scenario="scenario2_scaling"}')).toBe(0);
    for (const action of ['migrate', 'scale_up', 'scale_down']) {
      expect(s.get(`swarmguard_manager_actions_started_total{action="${action}"}`)).toBe(0);
      expect(s.get(`swarmguard_manager_actions_total{action="${action}",outcome="failed"}`)).toBe(0);
      expect(s.get(`swarmguard_manager_actions_in_flight{action="${action}"}`)).toBe(0);
    }
    expect(s.get('swarmguard_manager_reporting_nodes')).toBe(0);
    expect(s.get('swarmguard_manager_requests_failed_total')).toBe(0);
    // a scraper tells a restarted manager (counters from 0 again) by its start time
    const started = s.get('process_start_time_seconds');
    expect(started).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(started).toBeLessThanOrEqual(Date.now() / 1000);
    // the token never appears, whatever was sent
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm) });
    expect((await h.app.inject({ url: '/metrics' })).body).not.toContain(TOKEN);
  });

  it('counts alerts by scenario and outcome, and their decision latency, as the events say', async () => {
    const h = setup();
    const body = alertFor(h.swarm);
    await Promise.all(Array.from({ length: 20 }, () => h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: body })));
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, { service: 'nginx' }) });
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm, {}, 'scenario2_scaling') });
    const s = await scrape(h);
    expect(s.get('swarmguard_manager_alerts_received_total{scenario="scenario1_migration"}')).toBe(21);
    expect(s.get('swarmguard_manager_alerts_received_total{scenario="scenario2_scaling"}')).toBe(1);
    expect(s.get('swarmguard_manager_alerts_accepted_total{scenario="scenario1_migration",action="migrate"}')).toBe(1);
    expect(s.get('swarmguard_manager_alerts_ignored_total{scenario="scenario1_migration",reason="duplicate"}')).toBe(19);
    expect(s.get('swarmguard_manager_alerts_ignored_total{scenario="scenario1_migration",reason="unknown_service"}')).toBe(1);
    // the migration holds the service: a scale-up alert for it meanwhile is locked out
    expect(s.get('swarmguard_manager_alerts_ignored_total{scenario="scenario2_scaling",reason="locked"}')).toBe(1);
    expect(s.get('swarmguard_manager_actions_in_flight{action="migrate"}')).toBe(1);

    const ignored = h.named('alert_ignored').length;
    const accepted = h.named('decision_made').filter((e) => e.decision !== 'ignore').length;
    const sum = (prefix: string) => [...s].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
    expect(sum('swarmguard_manager_alerts_ignored_total')).toBe(ignored);
    expect(sum('swarmguard_manager_alerts_accepted_total')).toBe(accepted);
    expect(sum('swarmguard_manager_alerts_received_total')).toBe(h.named('alert_received').length);
    // the fake clock stands still while deciding: every decision took 0 s and falls in the first bucket
    expect(s.get('swarmguard_manager_decision_latency_seconds_count{scenario="scenario1_migration"}')).toBe(21);
    expect(s.get('swarmguard_manager_decision_latency_seconds_bucket{scenario="scenario1_migration",le="0.0005"}')).toBe(21);
    expect(s.get('swarmguard_manager_decision_latency_seconds_bucket{scenario="scenario1_migration",le="+Inf"}')).toBe(21);
    await h.manager.idle();
  });

  it('counts actions by kind and outcome, with their duration from T4 to the end', async () => {
    const h = setup();
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm) });
    await h.manager.idle();
    const s = await scrape(h);
    expect(s.get('swarmguard_manager_actions_started_total{action="migrate"}')).toBe(1);
    expect(s.get('swarmguard_manager_actions_total{action="migrate",outcome="completed"}')).toBe(1);
    expect(s.get('swarmguard_manager_actions_total{action="migrate",outcome="failed"}')).toBe(0);
    expect(s.get('swarmguard_manager_actions_in_flight{action="migrate"}')).toBe(0);
    expect(s.get('swarmguard_manager_cooldowns_active{action="migrate"}')).toBe(1);
    const t4 = h.named('action_started')[0]!.t;
    const end = h.named('action_completed')[0]!.t;
    expect(end).toBeGreaterThan(t4);
    const d = 'swarmguard_manager_action_duration_seconds';
    const labels = 'action="migrate",outcome="completed"';
    expect(s.get(`${d}_count{${labels}}`)).toBe(1);
    expect(s.get(`${d}_sum{${labels}}`)).toBeCloseTo((end - t4) / 1000, 6);
    // cumulative buckets: 0 below the duration, 1 from the first bound at or above it
    const bounds = [...s].filter(([k]) => k.startsWith(`${d}_bucket{${labels}`));
    expect(bounds.at(-1)).toEqual([`${d}_bucket{${labels},le="+Inf"}`, 1]);
    for (const [k, v] of bounds) {
      const le = Number(/le="([^"]+)"/.exec(k)![1]!.replace('+Inf', 'Infinity'));
      expect(v, k).toBe(le >= (end - t4) / 1000 ? 1 : 0);
    }
  });

  it('counts a failed action and one that failed before its Docker call', async () => {
    const h = setup();
    h.swarm.failNewTasks = true;
    await h.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(h.swarm) });
    await h.manager.idle();
    // an inspect that never answers fails the migration before its update is sent
    const out = setup({ yaml: 'manager: {docker_call_timeout_ms: 100}', port: (swarm) => new DeadlineSwarmPort(swarm, () => 100) });
    out.swarm.hang.add('inspectService');
    await out.app.inject({ method: 'POST', url: '/alert', headers: auth, payload: alertFor(out.swarm) });
    await out.manager.idle();

    const a = await scrape(h);
    expect(a.get('swarmguard_manager_actions_started_total{action="migrate"}')).toBe(1);
    expect(a.get('swarmguard_manager_actions_total{action="migrate",outcome="failed"}')).toBe(1);
    expect(a.get('swarmguard_manager_action_duration_seconds_count{action="migrate",outcome="failed"}')).toBe(1);
    const b = await scrape(out);
    expect(b.get('swarmguard_manager_actions_started_total{action="migrate"}')).toBe(0);
    expect(b.get('swarmguard_manager_actions_total{action="migrate",outcome="failed"}')).toBe(1);
    expect(b.has('swarmguard_manager_action_duration_seconds_count{action="migrate",outcome="failed"}')).toBe(false);
  });

  it('counts rejected requests by status and shows the nodes reporting', async () => {
    const h = setup();
    await h.app.inject({ method: 'POST', url: '/alert', payload: alertFor(h.swarm) });
    await h.app.inject({ method: 'POST', url: '/report', headers: { authorization: 'Bearer nope-nope-nope-nope' }, payload: {} });
    await h.app.inject({ method: 'POST', url: '/alert', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"id":' });
    await h.app.inject({ method: 'POST', url: '/report', headers: auth, payload: { node: 'worker-1', t: h.clock.now(), containers: [] } });
    await h.app.inject({ method: 'POST', url: '/report', headers: auth, payload: { node: 'worker-2', t: h.clock.now(), containers: [] } });
    const s = await scrape(h);
    expect(s.get('swarmguard_manager_requests_rejected_total{status="401"}')).toBe(2);
    expect(s.get('swarmguard_manager_requests_rejected_total{status="400"}')).toBe(1);
    expect(s.get('swarmguard_manager_reporting_nodes')).toBe(2);
    // a node whose reports expired (3 polls of 1 s by default) no longer counts
    h.clock.t += 3_001;
    expect((await scrape(h)).get('swarmguard_manager_reporting_nodes')).toBe(0);
  });
});

describe('node verdicts', () => {
  it("counts the node-failure detection's events by verdict, each from 0", async () => {
    const h = setup();
    const before = await scrape(h);
    for (const v of ['suspected', 'ruled_out', 'cleared', 'detected', 'restored']) expect(before.get(`swarmguard_manager_node_verdicts_total{verdict="${v}"}`)).toBe(0);
    for (const event of ['node_failure_suspected', 'node_failure_ruled_out', 'node_suspicion_cleared', 'node_failure_suspected', 'node_failure_detected', 'node_restored']) {
      h.manager.events.event(event, { hostname: 'worker-3' });
    }
    const after = await scrape(h);
    expect(after.get('swarmguard_manager_node_verdicts_total{verdict="suspected"}')).toBe(2);
    for (const v of ['ruled_out', 'cleared', 'detected', 'restored']) expect(after.get(`swarmguard_manager_node_verdicts_total{verdict="${v}"}`)).toBe(1);
  });
});

describe('exposition', () => {
  it('escapes label values and help text', () => {
    const c = new Counter('x_total', 'help with \\ and\nnewline');
    c.inc({ path: 'a"b\\c\nd' });
    expect(c.render()).toBe('# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\nx_total{path="a\\"b\\\\c\\nd"} 1\n');
  });

  it('renders gauges and cumulative histogram buckets with +Inf, sum and count', () => {
    expect(renderGauge('g', 'a gauge', [[{}, 2.5], [{ k: 'v' }, Infinity]])).toBe('# HELP g a gauge\n# TYPE g gauge\ng 2.5\ng{k="v"} +Inf\n');
    const h = new Histogram('d_seconds', 'durations', [1, 5]);
    for (const v of [0.5, 1, 3, 9]) h.observe({ a: 'x' }, v);
    expect(h.render()).toBe(
      [
        '# HELP d_seconds durations',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{a="x",le="1"} 2',
        'd_seconds_bucket{a="x",le="5"} 3',
        'd_seconds_bucket{a="x",le="+Inf"} 4',
        'd_seconds_sum{a="x"} 13.5',
        'd_seconds_count{a="x"} 4',
        '',
      ].join('\n'),
    );
    expect(() => new Histogram('bad', 'b', [5, 1])).toThrow(/bounds must ascend, got 5, 1/);
  });
});
