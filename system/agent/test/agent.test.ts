import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertSchema, reportSchema } from '../../shared/alert-schema.ts';
import type { RulesConfig } from '../../shared/rules-schema.ts';
import { Agent, type AgentDeps } from '../src/agent.ts';
import type { MigratedContainer } from '../src/early-stop.ts';
import type { AlertOutcome, AlertSink, MetricsSink, RawStats, ReportSink } from '../src/types.ts';
import {
  container,
  FakeClock,
  FakePort,
  quietEvents,
  rawStats,
  RecordingAlertSink,
  RecordingMetricsSink,
  RecordingReportSink,
  rules,
  T_START,
  type FakeContainer,
} from './fakes.ts';

const MiB = 1024 * 1024;

/** Stats of a container using `pct` % of `cores` cores and `mbps` of traffic since T_START, read at the fake clock's time. */
function steady(clock: FakeClock, pct: number, cores: number, mbps = 0): () => RawStats {
  return () => {
    const ms = clock.t - T_START;
    const bytes = (mbps * 1e6 * ms) / 1000 / 8;
    return rawStats({ t: clock.t, cpuNs: ms * 1e6 * cores * (pct / 100), rx: bytes / 2, tx: bytes / 2, usage: 100 * MiB, limit: 400 * MiB });
  };
}

function setup(opts: { rules?: RulesConfig; alerts?: AlertSink; metrics?: MetricsSink; reports?: ReportSink; migrations?: AgentDeps['migrations'] } = {}) {
  const clock = new FakeClock();
  const port = new FakePort();
  const events = quietEvents();
  const alerts = new RecordingAlertSink(clock);
  const reports = new RecordingReportSink();
  const metrics = new RecordingMetricsSink();
  const agent = new Agent({
    port,
    alerts: opts.alerts ?? alerts,
    reports: opts.reports ?? reports,
    metrics: opts.metrics ?? metrics,
    events,
    clock,
    node: { name: 'worker-1', cores: 4 },
    rules: opts.rules ?? rules(),
    migrations: opts.migrations,
  });
  /** Runs a cycle, then moves the clock one poll interval on. */
  const cycle = async () => {
    const result = await agent.runCycle();
    clock.advance(1000);
    return result;
  };
  const named = (event: string) => events.since(0).filter((e) => e.event === event);
  return { clock, port, events, alerts, reports, metrics, agent, cycle, named };
}

function add(port: FakePort, c: FakeContainer, stats: () => RawStats | null | Promise<RawStats | null>): FakeContainer {
  c.stats = stats;
  port.containers.push(c);
  return c;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Agent sampling', () => {
  it('needs two samples for rates, then reports CPU relative to each container’s limit', async () => {
    const { clock, port, cycle, reports, metrics } = setup();
    add(port, container(1, { limits: { nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 } }), steady(clock, 40, 0.5));
    add(port, container(2, { limits: { nanoCpus: 0, cpuQuota: 150_000, cpuPeriod: 100_000 } }), steady(clock, 30, 1.5));
    add(port, container(3), steady(clock, 20, 4, 10));
    expect((await cycle()).samples).toEqual([]);
    const { samples } = await cycle();
    expect(samples.map((s) => Math.round(s.m.cpu * 1000) / 1000)).toEqual([40, 30, 20]);
    expect(samples[2].m.rx).toBeCloseTo(5, 6);
    expect(samples[2].m.net).toBeCloseTo(10, 6);
    expect(samples[0].m.mem).toBeCloseTo(25, 6);

    const report = reports.reports[1];
    expect(reportSchema.parse(report)).toEqual(report);
    expect(report.node).toBe('worker-1');
    expect(report.t).toBe(T_START + 1000);
    expect(report.containers[0]).toEqual({
      service: 'svc-1',
      container: port.containers[0].ref.id.slice(0, 12),
      task: port.containers[0].ref.task,
      m: { cpu: 40, mem: 25, mem_mb: 100, net: 0, rx: 0, tx: 0 },
    });
    expect(metrics.points).toHaveLength(3);
    expect(metrics.points[0]).toMatchObject({ node: 'worker-1', service: 'svc-1', container: port.containers[0].ref.id });
  });

  it('inspects each container’s limits once, not every cycle', async () => {
    const { clock, port, cycle } = setup();
    const c = add(port, container(1), steady(clock, 10, 4));
    for (let i = 0; i < 4; i++) await cycle();
    expect(port.calls.limits.get(c.ref.id)).toBe(1);
    expect(port.calls.stats).toBe(4);
  });

  it('never samples SwarmGuard’s own containers', async () => {
    const { clock, port, cycle, reports } = setup();
    add(port, container(1, { labels: { 'swarmguard.component': 'agent' } }), steady(clock, 99, 4));
    add(port, container(2), steady(clock, 10, 4));
    await cycle();
    await cycle();
    expect(port.calls.stats).toBe(2); // container 2 twice, container 1 never
    expect(port.calls.limits.has(port.containers[0].ref.id)).toBe(false);
    expect(reports.reports[1].containers.map((e) => e.service)).toEqual(['svc-2']);
  });

  it('skips a container that vanishes mid-sample without an error, and follows new containers', async () => {
    const { clock, port, cycle, named } = setup();
    const gone = add(port, container(1), steady(clock, 10, 4));
    add(port, container(2), steady(clock, 10, 4));
    await cycle();
    gone.stats = () => null; // listed, then 404 on stats
    expect((await cycle()).samples.map((s) => s.container.service)).toEqual(['svc-2']);
    port.containers.splice(0, 1);
    add(port, container(3), steady(clock, 10, 4));
    await cycle();
    expect((await cycle()).samples.map((s) => s.container.service)).toEqual(['svc-2', 'svc-3']);
    expect(named('agent_error')).toEqual([]);
  });

  it('logs a failing container once per state change, not every cycle', async () => {
    const { clock, port, cycle, named } = setup();
    const ok = steady(clock, 10, 4);
    const c = add(port, container(1), ok);
    await cycle();
    c.stats = () => {
      throw new Error('socket hang up');
    };
    await cycle();
    await cycle();
    await cycle();
    expect(named('agent_error')).toHaveLength(1);
    expect(named('agent_error')[0]).toMatchObject({ what: 'sample', service: 'svc-1', reason: 'Error: socket hang up' });
    c.stats = ok;
    await cycle();
    expect(named('agent_recovered')).toHaveLength(1);
  });

  it('skips the sample after a counter reset and resumes from the new baseline', async () => {
    const { clock, port, cycle } = setup();
    let offset = 50e9;
    const base = steady(clock, 25, 4);
    add(port, container(1), () => {
      const raw = base();
      raw.cpu_stats!.cpu_usage!.total_usage! += offset;
      return raw;
    });
    await cycle();
    await cycle();
    offset = 0; // container restarted in place: its cgroup counters begin again
    expect((await cycle()).samples).toEqual([]);
    expect((await cycle()).samples[0].m.cpu).toBeCloseTo(25, 6);
  });

  it('logs a cycle that overruns the poll interval, with its duration', async () => {
    const { clock, port, agent, named } = setup();
    add(port, container(1), () => {
      clock.advance(1500); // the daemon took 1.5 s to answer
      return rawStats({ t: clock.t, cpuNs: 0 });
    });
    const result = await agent.runCycle();
    expect(result.durationMs).toBe(1500);
    expect(named('cycle_overrun')).toMatchObject([{ durationMs: 1500, intervalMs: 1000, containers: 1 }]);
  });

  it('logs cycle_stats every 10 cycles: median, p95 and max of their durations', async () => {
    const { clock, port, cycle, named } = setup();
    let n = 0;
    const costs = [30, 10, 20, 50, 40, 100, 60, 70, 80, 90, 5];
    add(port, container(1), () => {
      clock.advance(costs[n++ % costs.length]); // the daemon's answer takes this long
      return rawStats({ t: clock.t, cpuNs: 0 });
    });
    add(port, container(2), () => rawStats({ t: clock.t, cpuNs: 0 }));
    for (let i = 0; i < 9; i++) await cycle();
    expect(named('cycle_stats')).toEqual([]);
    await cycle();
    const [stats] = named('cycle_stats');
    expect(stats).toMatchObject({ cycles: 10, containers: 2, medianMs: 55, p95Ms: 95.5, maxMs: 100 });
    expect(stats.durationsMs).toEqual(costs.slice(0, 10));
    for (let i = 0; i < 10; i++) await cycle();
    expect(named('cycle_stats')).toHaveLength(2);
    expect(named('cycle_stats')[1]).toMatchObject({ cycles: 10, medianMs: 45 }); // a new window: 5, 30, 10, 20, 50, 40, 100, 60, 70, 80
  });

  it('logs no cycle_stats with cycleStatsEvery 0', async () => {
    const clock = new FakeClock();
    const port = new FakePort();
    const events = quietEvents();
    add(port, container(1), () => rawStats({ t: clock.t, cpuNs: 0 }));
    const agent = new Agent({
      port, alerts: new RecordingAlertSink(clock), reports: new RecordingReportSink(), metrics: new RecordingMetricsSink(),
      events, clock, node: { name: 'worker-1', cores: 4 }, rules: rules(), cycleStatsEvery: 0,
    });
    for (let i = 0; i < 25; i++) await agent.runCycle();
    expect(events.since(0).filter((e) => e.event === 'cycle_stats')).toEqual([]);
  });
});

describe('Agent alerting', () => {
  it('logs T0 at the first breach’s sample time and T1 before sending, then POSTs a valid alert', async () => {
    const { clock, port, cycle, alerts, named } = setup();
    add(port, container(1, { service: 'web-stress', limits: { nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 } }), steady(clock, 85, 0.5));
    await cycle(); // baseline
    await cycle(); // breach 1: T0
    expect(alerts.sent).toHaveLength(0);
    const third = await cycle(); // breach 2: alert
    expect(alerts.sent).toHaveLength(1);
    const { alert } = alerts.sent[0];
    expect(alertSchema.parse(alert)).toEqual(alert);
    const t0 = T_START + 1000;
    expect(alert).toMatchObject({ id: `worker-1:${t0}:1`, t0, t1: T_START + 2000, node: 'worker-1', service: 'web-stress', scenario: 'scenario1_migration' });
    expect(alert.m.cpu).toBeCloseTo(85, 1);
    expect((await third.alerts[0]).ok).toBe(true);

    const [t0Event] = named('breach_detected');
    const [t1Event] = named('alert_sent');
    expect(t0Event).toMatchObject({ phase: 'T0', t: t0, alertId: alert.id, service: 'web-stress', count: 2, confirmedAt: T_START + 2000 });
    expect(t1Event).toMatchObject({ phase: 'T1', t: T_START + 2000, alertId: alert.id, service: 'web-stress' });
    expect(named('alert_delivered')).toHaveLength(1);
  });

  it('re-alerts every consecutive_breaches cycles while the breach lasts, with the run’s T0', async () => {
    const { clock, port, cycle, alerts } = setup();
    add(port, container(1), steady(clock, 90, 4));
    for (let i = 0; i < 7; i++) await cycle(); // baseline + 6 breaches
    expect(alerts.sent.map((s) => s.alert.id)).toEqual([`worker-1:${T_START + 1000}:1`, `worker-1:${T_START + 1000}:2`, `worker-1:${T_START + 1000}:3`]);
  });

  it('does not alert for containers that are not swarm tasks (nothing to migrate or scale)', async () => {
    const { clock, port, cycle, alerts, reports } = setup();
    add(port, container(1, { service: '', task: '' }), steady(clock, 90, 4));
    for (let i = 0; i < 4; i++) await cycle();
    expect(alerts.sent).toEqual([]);
    expect(reports.reports[3].containers).toHaveLength(1);
  });

  it('logs a failed delivery with its reason and keeps sampling', async () => {
    const clockless = new FakeClock();
    const failing = new RecordingAlertSink(clockless, async () => ({ ok: false, attempts: 2, error: 'connect ECONNREFUSED 10.0.0.5:5000' }));
    const { clock, port, cycle, named } = setup({ alerts: failing, rules: rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1 } } }) });
    add(port, container(1), steady(clock, 90, 4));
    await cycle();
    await (await cycle()).alerts[0];
    expect(named('alert_failed')).toMatchObject([{ attempts: 2, reason: 'connect ECONNREFUSED 10.0.0.5:5000', service: 'svc-1' }]);
    expect((await cycle()).samples).toHaveLength(1);
  });

  it('sends an alert without waiting for slower containers of the same cycle', async () => {
    const { clock, port, agent, alerts } = setup({ rules: rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1 } } }) });
    add(port, container(1), steady(clock, 90, 4));
    const slow = add(port, container(2), steady(clock, 10, 4));
    await agent.runCycle();
    clock.advance(1000);
    let release!: () => void;
    slow.stats = () => new Promise((resolve) => (release = () => resolve(steady(clock, 10, 4)())));
    const running = agent.runCycle();
    await vi.waitFor(() => expect(alerts.sent).toHaveLength(1));
    release();
    expect((await running).samples).toHaveLength(2);
  });

  it('an InfluxDB sink that throws or hangs and a hanging /report delay neither the alert nor the cycle', async () => {
    const throwing: MetricsSink = {
      write() {
        throw new Error('InfluxDB: connect ETIMEDOUT');
      },
      close: async () => {},
    };
    const hanging: MetricsSink = { write: () => new Promise<void>(() => {}), close: async () => {} };
    const hangingReports: ReportSink = { send: () => new Promise<void>(() => {}) };
    for (const metrics of [throwing, hanging]) {
      const { clock, port, cycle, alerts, named } = setup({ metrics, reports: hangingReports, rules: rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1 } } }) });
      add(port, container(1), steady(clock, 90, 4));
      await cycle();
      const sampledAt = clock.t;
      const result = await cycle();
      expect(alerts.sent).toHaveLength(1);
      expect(alerts.sent[0].at).toBe(sampledAt); // no time passed between the sample and the POST
      expect(result.durationMs).toBe(0);
      await cycle();
      expect(alerts.sent).toHaveLength(2);
      if (metrics === throwing) expect(named('agent_error')).toMatchObject([{ what: 'metrics', reason: 'Error: InfluxDB: connect ETIMEDOUT' }]);
    }
  });
});

describe('Agent confirming sample', () => {
  const confirming = () => rules({ monitoring: { poll_interval: 1, confirm_interval: 0.2 } });

  it('samples a container whose breach run has begun again after confirm_interval, and alerts from that sample', async () => {
    vi.useFakeTimers();
    const { clock, port, agent, alerts, reports, named } = setup({ rules: confirming() });
    const busy = add(port, container(1, { service: 'web-stress', limits: { nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 } }), steady(clock, 85, 0.5));
    add(port, container(2), steady(clock, 10, 4));
    await agent.runCycle(); // baseline
    clock.advance(1000);
    await agent.runCycle(); // breach 1: T0
    expect(alerts.sent).toHaveLength(0);
    const statsBefore = port.calls.stats;
    clock.advance(200);
    await vi.advanceTimersByTimeAsync(200);
    expect(port.calls.stats - statsBefore).toBe(1); // only the breaching container
    expect(alerts.sent).toHaveLength(1);
    const { alert } = alerts.sent[0];
    expect(alert).toMatchObject({ t0: T_START + 1000, t1: T_START + 1200, container: busy.ref.id.slice(0, 12) });
    expect(alert.m.cpu).toBeCloseTo(85, 1);
    expect(named('breach_detected')[0]).toMatchObject({ count: 2, confirmedAt: T_START + 1200 });
    expect(reports.reports).toHaveLength(2); // the confirming sample is judged, not reported
  });

  it('takes no extra sample when the breach ended, when the run has already alerted, or without confirm_interval', async () => {
    vi.useFakeTimers();
    const quiet = setup();
    add(quiet.port, container(1), steady(quiet.clock, 90, 4));
    await quiet.agent.runCycle();
    quiet.clock.advance(1000);
    await quiet.agent.runCycle(); // breach 1, but no confirm_interval
    await vi.advanceTimersByTimeAsync(1000);
    expect(quiet.port.calls.stats).toBe(2);
    expect(quiet.alerts.sent).toHaveLength(0);

    const { clock, port, agent, alerts } = setup({ rules: confirming() });
    add(port, container(1), steady(clock, 90, 4));
    await agent.runCycle();
    clock.advance(1000);
    await agent.runCycle(); // breach 1
    clock.advance(200);
    await vi.advanceTimersByTimeAsync(200); // breach 2 confirmed: alert
    expect(alerts.sent).toHaveLength(1);
    clock.advance(800);
    await agent.runCycle(); // breach 3: the run has alerted, nothing to confirm
    const stats = port.calls.stats;
    clock.advance(200);
    await vi.advanceTimersByTimeAsync(200);
    expect(port.calls.stats).toBe(stats);
  });

  it('stop() cancels a confirming sample not yet taken', async () => {
    vi.useFakeTimers();
    const { clock, port, agent, alerts } = setup({ rules: confirming() });
    add(port, container(1), steady(clock, 90, 4));
    await agent.runCycle();
    clock.advance(1000);
    await agent.runCycle();
    await agent.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(alerts.sent).toHaveLength(0);
  });
});

describe('Agent and early stop', () => {
  /** One alert for a web-stress container whose delivery the manager answers with `answer`. */
  async function alertAnswered(answer: Partial<AlertOutcome>) {
    const followed: MigratedContainer[] = [];
    const clock = new FakeClock();
    const alerts = new RecordingAlertSink(clock, async () => ({ ok: true, attempts: 1, status: 202, ...answer }));
    const h = setup({
      alerts,
      migrations: { follow: (c) => followed.push(c) },
      rules: rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1 } } }),
    });
    const c = add(h.port, container(1, { service: 'web-stress' }), steady(h.clock, 90, 4));
    await h.cycle();
    const outcome = await (await h.cycle()).alerts[0];
    return { followed, c, outcome, alert: alerts.sent[0]!.alert };
  }

  it('a delivered migrate decision makes it follow the migration with the container’s full id', async () => {
    const { followed, c, alert } = await alertAnswered({ decision: 'migrate', actionId: 'migrate-web-stress-1' });
    expect(alert.container).toBe(c.ref.id.slice(0, 12));
    expect(followed).toEqual([{ actionId: 'migrate-web-stress-1', alertId: alert.id, service: 'web-stress', id: c.ref.id }]);
  });

  it('follows nothing for an ignore or scale_up decision, a migrate without an action id, or a failed delivery', async () => {
    for (const answer of [
      { decision: 'ignore' },
      { decision: 'scale_up', actionId: 'scale_up-web-stress-1' },
      { decision: 'migrate' },
      { ok: false, status: 500, decision: 'migrate', actionId: 'migrate-web-stress-1', error: 'HTTP 500' },
    ]) {
      const { followed, outcome } = await alertAnswered(answer);
      expect(outcome.ok).toBe(answer.ok ?? true);
      expect(followed, JSON.stringify(answer)).toEqual([]);
    }
  });
});

describe('Agent loop', () => {
  it('runs a cycle every poll interval and never two at once', async () => {
    vi.useFakeTimers({ now: T_START });
    const clock = { now: () => Date.now() };
    const port = new FakePort();
    let gate: Promise<void> | null = null;
    const c = container(1);
    c.stats = async () => {
      if (gate) await gate;
      return rawStats({ t: Date.now(), cpuNs: 0 });
    };
    port.containers.push(c);
    const events = quietEvents();
    const agent = new Agent({
      port,
      alerts: new RecordingAlertSink(clock),
      reports: new RecordingReportSink(),
      metrics: new RecordingMetricsSink(),
      events,
      clock,
      node: { name: 'worker-1', cores: 4 },
      rules: rules(),
      primeDelayMs: 1000, // no priming: the steady schedule alone
    });
    agent.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(port.calls.list).toBe(4); // at 0, 1000, 2000, 3000 ms

    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    await vi.advanceTimersByTimeAsync(5000); // to 8500 ms: the cycle started at 4000 ms hangs on the daemon
    expect(port.calls.list).toBe(5);
    gate = null;
    open();
    await vi.advanceTimersByTimeAsync(0); // the late cycle ends at 8500 ms and the next one starts at once
    expect(port.calls.list).toBe(6);
    expect(events.since(0).filter((e) => e.event === 'cycle_overrun')).toMatchObject([{ durationMs: 4500 }]);

    const stopped = agent.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    await vi.advanceTimersByTimeAsync(5000);
    expect(port.calls.list).toBe(6);
  });

  it('primes: the second cycle comes 200 ms after the first, so the first rates do not wait a whole interval', async () => {
    vi.useFakeTimers({ now: T_START });
    const clock = { now: () => Date.now() };
    const port = new FakePort();
    const c = container(1);
    c.stats = () => rawStats({ t: Date.now(), cpuNs: (Date.now() - T_START) * 1e6 });
    port.containers.push(c);
    const reports = new RecordingReportSink();
    const agent = new Agent({
      port,
      alerts: new RecordingAlertSink(clock),
      reports,
      metrics: new RecordingMetricsSink(),
      events: quietEvents(),
      clock,
      node: { name: 'worker-1', cores: 4 },
      rules: rules(),
    });
    agent.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(reports.reports.map((r) => r.t - T_START)).toEqual([0, 200]);
    expect(reports.reports[1].containers[0].m.cpu).toBeCloseTo(25, 6); // one of 4 cores, from the primed pair
    await vi.advanceTimersByTimeAsync(2000);
    expect(reports.reports.map((r) => r.t - T_START)).toEqual([0, 200, 1200, 2200]);
    await agent.stop();

    // a restart primes again
    agent.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(reports.reports.map((r) => r.t - T_START)).toEqual([0, 200, 1200, 2200, 2250, 2450]);
    await agent.stop();
  });
});

describe('Agent rules', () => {
  it('reloaded thresholds apply from the next sample', async () => {
    const { clock, port, agent, cycle, alerts } = setup({ rules: rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1 } } }) });
    add(port, container(1, { service: 'web-stress' }), steady(clock, 60, 4));
    for (let i = 0; i < 3; i++) await cycle();
    expect(alerts.sent).toEqual([]); // 60 % is under the default 75 %
    agent.setRules(rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1, cpu_threshold: 50 } } }));
    await cycle();
    expect(alerts.sent).toHaveLength(1);
    expect(alerts.sent[0]!.alert.scenario).toBe('scenario1_migration');
    expect(agent.currentRules().scenarios.scenario1_migration.cpu_threshold).toBe(50);
  });

  it('judges the rounded values it sends: 75.04 % does not breach 75, 75.06 % does (sent as 75.1)', async () => {
    for (const [pct, alerted] of [[75.04, false], [75.06, true]] as const) {
      const { clock, port, cycle, alerts } = setup({ rules: rules({ scenarios: { scenario1_migration: { consecutive_breaches: 1 } } }) });
      add(port, container(1, { service: 'web-stress' }), steady(clock, pct, 4));
      for (let i = 0; i < 3; i++) await cycle();
      expect(alerts.sent.length > 0, String(pct)).toBe(alerted);
      if (alerted) expect(alerts.sent[0]!.alert.m.cpu).toBe(75.1);
    }
  });
});
