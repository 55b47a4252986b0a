import type { Report, ReportEntry } from '../../shared/alert-schema.ts';
import type { EventLogger } from '../../shared/event-logger.ts';
import type { RulesConfig } from '../../shared/rules-schema.ts';
import type { ContainerMetrics } from '../../shared/types.ts';
import { alertId, buildAlert, MAX_ALERT_BYTES, shortId } from './alert-payload.ts';
import { BreachTracker, type BreachAlert } from './breach-tracker.ts';
import type { MigratedContainer } from './early-stop.ts';
import { computeMetrics, countersOf, limitCores, roundMetrics, type Counters } from './metrics.ts';
import { StateLatch } from '../../shared/state-latch.ts';
import type {
  AlertOutcome,
  AlertSink,
  Clock,
  ContainerRef,
  ContainerStatsPort,
  CpuLimits,
  MetricPoint,
  MetricsSink,
  ReportSink,
} from './types.ts';

/** Label SwarmGuard puts on its own containers (agent, manager); the agent never watches them. */
export const COMPONENT_LABEL = 'swarmguard.component';

const DEFAULT_PRIME_DELAY_MS = 200;

export function isOwnContainer(c: ContainerRef): boolean {
  return COMPONENT_LABEL in c.labels;
}

export interface AgentDeps {
  port: ContainerStatsPort;
  alerts: AlertSink;
  reports: ReportSink;
  metrics: MetricsSink;
  events: EventLogger;
  clock: Clock;
  node: { name: string; cores: number };
  rules: RulesConfig;
  /**
   * Delay between the first and the second cycle after start, ms (default 200): the first cycle only
   * sets every container's baseline, so the first rates come this soon instead of one poll interval
   * later. Capped at the poll interval.
   */
  primeDelayMs?: number;
  /** Told of every migration the manager starts on an alert of this agent (early-stop.ts). */
  migrations?: { follow(c: MigratedContainer): void };
  /** Every this many cycles, log `cycle_stats` (median/p95/max of their durations); 0 = never. Default 10. */
  cycleStatsEvery?: number;
}

export interface Sample {
  container: ContainerRef;
  t: number;
  m: ContainerMetrics;
}

export interface CycleResult {
  t: number;
  durationMs: number;
  samples: Sample[];
  /** Alerts started in this cycle; their delivery may still be running. */
  alerts: Promise<AlertOutcome>[];
}

interface Watched {
  limits: CpuLimits | null;
  prev?: Counters;
}

/**
 * One agent per node: every poll_interval it lists the node's containers, samples them all in
 * parallel, and alerts the manager the moment a container's breach run is long enough. Reports and
 * metrics are handed off without waiting; nothing in a cycle waits for InfluxDB or /report.
 */
export class Agent {
  private readonly tracker: BreachTracker;
  private readonly watched = new Map<string, Watched>();
  private readonly pendingAlerts = new Set<Promise<AlertOutcome>>();
  private readonly latches = new Map<string, StateLatch>();
  private readonly containerLatches = new Map<string, StateLatch>();
  private seq = 0;
  /** Durations (ms) of the cycles since the last `cycle_stats` line. */
  private cycleDurations: number[] = [];
  private running = false;
  private cyclesRun = 0;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | null = null;
  private confirmTimer: NodeJS.Timeout | undefined;
  private confirming: Promise<unknown> | null = null;
  private rules: RulesConfig;

  constructor(private readonly deps: AgentDeps) {
    this.rules = deps.rules;
    this.tracker = new BreachTracker(deps.rules.scenarios);
  }

  private get intervalMs(): number {
    return this.rules.monitoring.poll_interval * 1000;
  }

  /**
   * New thresholds from a reloaded config file, in force from the next sample: the manager reloads
   * the same file, and an agent still alerting on the old thresholds would send alerts the manager
   * rejects as `rule_mismatch` (or stay silent where the manager would act). A new poll interval
   * applies from the next scheduled cycle. Breach runs in progress are kept; the next sample is
   * judged by the new rules.
   */
  setRules(rules: RulesConfig): void {
    this.rules = rules;
    this.tracker.setRules(rules.scenarios);
  }

  currentRules(): RulesConfig {
    return this.rules;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cyclesRun = 0;
    this.schedule(0);
  }

  /** Stops sampling; resolves after the running cycle and the alerts in flight have finished. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.confirmTimer);
    await this.current;
    await this.confirming;
    await Promise.allSettled([...this.pendingAlerts]);
  }

  /**
   * The next cycle starts one interval after the previous one started (after the first cycle: the
   * prime delay after it ended), or at once if it overran; never two at once.
   */
  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const started = this.deps.clock.now();
      this.current = this.runCycle()
        .catch((err: unknown) => this.deps.events.event('cycle_failed', { reason: String(err) }))
        .finally(() => {
          this.current = null;
          this.cyclesRun += 1;
          if (!this.running) return;
          const sinceStart = this.deps.clock.now() - started;
          const prime = Math.min(this.deps.primeDelayMs ?? DEFAULT_PRIME_DELAY_MS, this.intervalMs);
          this.schedule(this.cyclesRun === 1 ? prime : Math.max(0, this.intervalMs - sinceStart));
        });
    }, delayMs);
  }

  async runCycle(): Promise<CycleResult> {
    const { clock, events } = this.deps;
    await this.confirming; // a confirming sample still running would otherwise race this cycle's
    const t = clock.now();
    let listed: ContainerRef[];
    try {
      listed = await this.deps.port.listContainers();
      this.latch('list').ok();
    } catch (err) {
      this.latch('list').fail(`listing containers: ${String(err)}`);
      return { t, durationMs: clock.now() - t, samples: [], alerts: [] };
    }
    const containers = listed.filter((c) => !isOwnContainer(c));
    this.forgetAllBut(new Set(containers.map((c) => c.id)));

    const alerts: Promise<AlertOutcome>[] = [];
    const sampled = await Promise.all(containers.map((c) => this.sample(c, alerts)));
    const samples = sampled.filter((s): s is Sample => s !== null);

    this.handOff(t, samples);
    this.scheduleConfirm(t, containers);
    const durationMs = clock.now() - t;
    if (durationMs > this.intervalMs) {
      events.event('cycle_overrun', { durationMs: Math.round(durationMs), intervalMs: this.intervalMs, containers: containers.length });
    }
    this.recordCycle(durationMs, containers.length);
    return { t, durationMs, samples, alerts };
  }

  /**
   * A breach run that has begun but not reached its count is sampled again `confirm_interval` after
   * this cycle instead of a whole poll interval later, so the alert of a breach that holds comes
   * that much sooner (T1 − T0). Only those containers are sampled; the sample is judged and may
   * alert, but is not reported: the next cycle's report covers the rest of the interval.
   */
  private scheduleConfirm(cycleT: number, containers: ContainerRef[]): void {
    const { monitoring, scenarios } = this.rules;
    const confirmMs = (monitoring.confirm_interval ?? monitoring.poll_interval) * 1000;
    if (confirmMs >= this.intervalMs) return;
    const pending = containers.filter((c) => {
      const run = this.tracker.run(c.id);
      return run !== undefined && run.count < scenarios[run.scenario].consecutive_breaches;
    });
    if (pending.length === 0) return;
    clearTimeout(this.confirmTimer);
    this.confirmTimer = setTimeout(() => {
      const alerts: Promise<AlertOutcome>[] = [];
      this.confirming = Promise.all(pending.map((c) => this.sample(c, alerts)))
        .catch((err: unknown) => this.deps.events.event('cycle_failed', { reason: `confirming sample: ${String(err)}` }))
        .finally(() => {
          this.confirming = null;
        });
    }, Math.max(0, cycleT + confirmMs - this.deps.clock.now()));
  }

  /** The agent's own cost, visible without a profiler: one `cycle_stats` line every `cycleStatsEvery` cycles. */
  private recordCycle(durationMs: number, containers: number): void {
    const every = this.deps.cycleStatsEvery ?? 10;
    if (every <= 0) return;
    this.cycleDurations.push(durationMs);
    if (this.cycleDurations.length < every) return;
    const durations = this.cycleDurations;
    this.cycleDurations = [];
    const sorted = [...durations].sort((a, b) => a - b);
    this.deps.events.event('cycle_stats', {
      cycles: durations.length,
      containers,
      medianMs: round1(quantile(sorted, 0.5)),
      p95Ms: round1(quantile(sorted, 0.95)),
      maxMs: round1(sorted[sorted.length - 1]),
      durationsMs: durations.map(round1),
    });
  }

  private async sample(c: ContainerRef, alerts: Promise<AlertOutcome>[]): Promise<Sample | null> {
    const { port, clock, node } = this.deps;
    const rules = this.rules;
    try {
      let w = this.watched.get(c.id);
      let raw;
      if (w) raw = await port.stats(c.id);
      else {
        // First sight: the limits are read once and cached for the container's life.
        const [limits, stats] = await Promise.all([port.cpuLimits(c.id), port.stats(c.id)]);
        raw = stats;
        if (limits !== null) {
          w = { limits };
          this.watched.set(c.id, w);
        }
      }
      this.containerLatch(c).ok();
      if (raw === null || w === undefined) {
        this.forget(c.id); // vanished between listing and sampling
        return null;
      }
      const t = clock.now();
      const counters = countersOf(raw, t);
      const prev = w.prev;
      w.prev = counters;
      if (!prev) return null;
      const m = computeMetrics(prev, counters, raw, limitCores(w.limits, node.cores), rules.monitoring.link_mbps);
      if (!m) return null;
      // The rules judge the values the manager will receive (rounded for the wire), so that the
      // manager's re-evaluation of the alert agrees with the agent's at a threshold's edge.
      const breach = this.tracker.observe(c.id, t, roundMetrics(m));
      if (breach && c.service) alerts.push(this.alert(c, breach, m));
      return { container: c, t, m };
    } catch (err) {
      this.containerLatch(c).fail(String(err));
      return null;
    }
  }

  /** T0 and T1 are logged and the POST starts before this returns; nobody awaits the delivery in the cycle. */
  private alert(c: ContainerRef, breach: BreachAlert, m: ContainerMetrics): Promise<AlertOutcome> {
    const { events, clock, node, alerts } = this.deps;
    this.seq += 1;
    const id = alertId(node.name, breach.t0, this.seq);
    const common = { service: c.service, alertId: id, container: shortId(c.id), task: c.task, scenario: breach.scenario };
    events.event('breach_detected', { ...common, t: breach.t0, count: breach.count, confirmedAt: breach.t });
    const t1 = clock.now();
    const payload = buildAlert({ id, node: node.name, container: c, breach, t1, m });
    const bytes = Buffer.byteLength(JSON.stringify(payload));
    events.event('alert_sent', { ...common, t: t1, bytes, ...(bytes >= MAX_ALERT_BYTES ? { oversize: true } : {}) });
    const delivery = alerts
      .send(payload)
      .catch((err: unknown): AlertOutcome => ({ ok: false, attempts: 1, error: String(err) }))
      .then((outcome) => {
        if (outcome.ok) {
          events.event('alert_delivered', { ...common, attempts: outcome.attempts, status: outcome.status, ms: round1(clock.now() - t1) });
          if (outcome.decision === 'migrate' && outcome.actionId && c.service) {
            this.deps.migrations?.follow({ actionId: outcome.actionId, alertId: id, service: c.service, id: c.id });
          }
        } else {
          events.event('alert_failed', { ...common, attempts: outcome.attempts, status: outcome.status, reason: outcome.error });
        }
        return outcome;
      });
    this.pendingAlerts.add(delivery);
    void delivery.finally(() => this.pendingAlerts.delete(delivery));
    return delivery;
  }

  /** Report and metrics are fire-and-forget: a slow manager or InfluxDB must not hold up the cycle. */
  private handOff(t: number, samples: Sample[]): void {
    const { node, reports, metrics } = this.deps;
    const entries: ReportEntry[] = samples.map((s) => ({
      service: s.container.service,
      container: shortId(s.container.id),
      task: s.container.task,
      m: roundMetrics(s.m),
    }));
    const report: Report = { node: node.name, t, containers: entries };
    const points: MetricPoint[] = samples.map((s) => ({
      t: s.t,
      node: node.name,
      service: s.container.service,
      container: s.container.id,
      task: s.container.task,
      m: s.m,
    }));
    this.detach('report', () => reports.send(report));
    if (points.length > 0) this.detach('metrics', () => metrics.write(points));
  }

  private detach(what: string, fn: () => void | Promise<void>): void {
    try {
      const result = fn();
      if (result) result.then(() => this.latch(what).ok(), (err: unknown) => this.latch(what).fail(String(err)));
      else this.latch(what).ok();
    } catch (err) {
      this.latch(what).fail(String(err));
    }
  }

  private latch(what: string): StateLatch {
    let latch = this.latches.get(what);
    if (!latch) {
      latch = new StateLatch(({ ok, reason, failures }) =>
        ok ? this.deps.events.event('agent_recovered', { what, failures }) : this.deps.events.event('agent_error', { what, reason }),
      );
      this.latches.set(what, latch);
    }
    return latch;
  }

  /** Sampling errors other than "gone" are logged once per container until it samples fine again. */
  private containerLatch(c: ContainerRef): StateLatch {
    let latch = this.containerLatches.get(c.id);
    if (!latch) {
      const fields = { what: 'sample', container: shortId(c.id), service: c.service };
      latch = new StateLatch(({ ok, reason, failures }) =>
        ok ? this.deps.events.event('agent_recovered', { ...fields, failures }) : this.deps.events.event('agent_error', { ...fields, reason }),
      );
      this.containerLatches.set(c.id, latch);
    }
    return latch;
  }

  private forget(id: string): void {
    this.watched.delete(id);
    this.containerLatches.delete(id);
    this.tracker.forget(id);
  }

  private forgetAllBut(ids: ReadonlySet<string>): void {
    for (const id of this.watched.keys()) if (!ids.has(id)) this.watched.delete(id);
    for (const id of this.containerLatches.keys()) if (!ids.has(id)) this.containerLatches.delete(id);
    this.tracker.retain(ids);
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Linear interpolation between the closest ranks of an ascending, non-empty list. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
