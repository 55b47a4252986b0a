import { evaluate } from '../../shared/rules.ts';
import type { Alert, ColumnReport, Report } from '../../shared/alert-schema.ts';
import { toColumns } from '../../shared/parse-report.ts';
import type { EventLogger, EventRecord } from '../../shared/event-logger.ts';
import { ActionLedger } from './action-ledger.ts';
import { ActionRecorder, type RecoveryActionRecord } from './action-record.ts';
import { NullActionStore, type ActionStore } from './action-store.ts';
import { BreachTracker } from './breach-tracker.ts';
import type { Clock } from './clock.ts';
import { ClockedEvents } from './clocked-events.ts';
import type { ManagerConfig } from './config.ts';
import { deadlineCause } from './deadline-swarm-port.ts';
import { decide } from './decide.ts';
import { Handoffs } from './handoff.ts';
import { ManagerMetrics } from './manager-metrics.ts';
import { MetricsCache } from './metrics-cache.ts';
import { baseConstraints, chooseTarget, possibleTargets } from './placement.ts';
import { RecentIds } from './recent-ids.ts';
import { ActionFailure, SwarmController, type ControllerOptions } from './swarm-controller.ts';
import { SwarmInventory, replicasOf } from './swarm-inventory.ts';
import { scaledUpFrom } from './swarm-labels.ts';
import type { SwarmPort } from './swarm-port.ts';
import type { Decision, DecisionState, InFlightAction, TaskLookup } from './types.ts';

export interface AlertOutcome {
  accepted: boolean;
  decision: Decision['kind'];
  reason: string;
  detail?: string;
  actionId?: string;
}

export interface RecoveryManagerDeps {
  port: SwarmPort;
  clock: Clock;
  events: EventLogger;
  config: () => ManagerConfig;
  /** Where each finished action goes with its T-phases (the time-series store); default: nowhere. */
  actions?: ActionStore;
}

export function controllerOptions(cfg: ManagerConfig): ControllerOptions {
  const m = cfg.manager;
  return {
    pollMs: m.migration.poll_interval_ms,
    migrationTimeoutMs: m.migration.timeout * 1000,
    scaleTimeoutMs: m.scaling.timeout * 1000,
    updateAttempts: m.migration.update_attempts,
    failureAction: m.migration.failure_action,
    monitorMs: m.migration.monitor * 1000,
    withdrawTimeoutMs: m.migration.withdraw_timeout * 1000,
    earlyStop: m.migration.early_stop,
    earlyStopDelayMs: (m.migration.early_stop_delay ?? 0) * 1000,
  };
}

/**
 * Receives alerts and reports, decides (pure `decide`), and runs at most one action per service at
 * a time through the swarm controller. Every step is an event (DESIGN.md §4).
 */
export class RecoveryManager {
  readonly breaches = new BreachTracker();
  readonly ledger = new ActionLedger();
  /** Where the old node's agent learns when it may stop a migrated task (handoff.ts). */
  readonly handoffs: Handoffs;
  /**
   * Alert ids already received. An agent's retry of an alert whose answer was lost, or a copy
   * delayed in the network, is the same alert: acting on it again would, with scale_up_cooldown 0,
   * add a second replica for one breach. Bounded in size and age; an agent's alerts of one breach
   * run carry new ids, so only true copies meet here.
   */
  readonly recentAlerts = new RecentIds(10_000, 10 * 60_000);
  readonly metrics: MetricsCache;
  /** The counters /metrics serves, counted from this manager's events. */
  readonly telemetry = new ManagerMetrics();
  readonly inventory: SwarmInventory;
  readonly controller: SwarmController;
  private readonly running = new Set<Promise<void>>();
  private readonly clock: Clock;
  readonly events: ClockedEvents;
  readonly config: () => ManagerConfig;
  readonly actions: ActionStore;
  private readonly recorder: ActionRecorder;

  constructor(deps: RecoveryManagerDeps) {
    this.clock = deps.clock;
    this.actions = deps.actions ?? new NullActionStore();
    this.recorder = new ActionRecorder((record) => this.store(record, deps.events));
    this.events = new ClockedEvents(deps.events, deps.clock, (record) => {
      this.telemetry.observe(record);
      this.record(record, deps.events);
    });
    this.config = deps.config;
    this.metrics = new MetricsCache(this.metricsTtlMs());
    this.inventory = new SwarmInventory(deps.port, deps.clock, (error) =>
      this.events.event('swarm_error', { error: error.message, during: 'inventory refresh' }),
    );
    this.handoffs = new Handoffs(deps.clock);
    this.controller = new SwarmController(deps.port, this.inventory, deps.clock, this.events, () => controllerOptions(this.config()), this.handoffs);
  }

  /** The store is an observer: whatever goes wrong there is logged, never thrown into a decision. */
  private record(record: EventRecord, log: EventLogger): void {
    try {
      this.recorder.observe(record);
    } catch (error) {
      log.log.warn({ event: 'action_record_error', reason: (error as Error).message, of: record.event, actionId: record.actionId });
    }
  }

  private store(record: RecoveryActionRecord, log: EventLogger): void {
    try {
      this.actions.write(record);
    } catch (error) {
      log.log.warn({ event: 'action_store_error', reason: (error as Error).message, actionId: record.actionId });
    }
  }

  metricsTtlMs(): number {
    const cfg = this.config();
    return cfg.manager.metrics_ttl_polls * cfg.monitoring.poll_interval * 1000;
  }

  isManaged(service: string): boolean {
    const list = this.config().manager.services;
    return list === undefined || list.includes(service);
  }

  async handleAlert(alert: Alert, t2: number): Promise<AlertOutcome> {
    const cfg = this.config();
    this.events.event('alert_received', {
      t: t2,
      alertId: alert.id,
      service: alert.service,
      alertNode: alert.node,
      container: alert.container,
      task: alert.task,
      scenario: alert.scenario,
      t0: alert.t0,
      t1: alert.t1,
      m: alert.m,
    });
    // Before any await and before the breach counter: a copy neither acts nor counts as a sample.
    if (this.recentAlerts.seen(alert.id, t2)) {
      return this.conclude(alert, { kind: 'ignore', reason: 'duplicate', detail: `alert ${alert.id} was already received` }, 0);
    }
    const credit =
      cfg.manager.alert_breach_credit === 'agent' ? cfg.scenarios[alert.scenario].consecutive_breaches : cfg.manager.alert_breach_credit;
    const breaches = this.breaches.recordAlert(alert.container, alert.scenario, alert.t1, credit);
    try {
      await this.inventory.ensure(alert.service, alert.node);
    } catch (error) {
      return this.conclude(alert, { kind: 'ignore', reason: 'swarm_error', detail: (error as Error).message }, breaches);
    }
    const state = this.decisionState(alert, breaches);
    const pre = decide(cfg.scenarios, alert, state, this.clock.now());
    if (pre.kind === 'ignore') return this.conclude(alert, pre, breaches);

    // No await between the decision above and this reservation: of concurrent alerts exactly one gets here first.
    const action = this.ledger.reserve(alert.service, pre.kind, this.clock.now(), alert.id);
    if (!action) throw new Error(`internal: ${alert.service} locked between decision and reservation`);
    let task: TaskLookup;
    try {
      task = await this.controller.lookupTask(alert.service, alert.task, alert.container);
    } catch (error) {
      this.ledger.release(action);
      return this.conclude(alert, { kind: 'ignore', reason: 'swarm_error', detail: (error as Error).message }, breaches);
    }
    const final = decide(cfg.scenarios, alert, { ...state, task }, this.clock.now());
    if (final.kind === 'ignore') {
      this.ledger.release(action);
      return this.conclude(alert, final, breaches);
    }
    this.conclude(alert, final, breaches, action.actionId);
    // Before the answer: the alerting agent may ask about the hand-off as soon as it has it.
    if (final.kind === 'migrate' && cfg.manager.migration.early_stop) {
      this.handoffs.begin(action.actionId, { container: alert.container, task: alert.task, node: alert.node });
    }
    this.breaches.reset(alert.container);
    this.track(this.runAlertAction(action, alert));
    return { accepted: true, decision: final.kind, reason: final.reason, actionId: action.actionId };
  }

  private decisionState(alert: Alert, breaches: number): DecisionState {
    const svc = this.inventory.service(alert.service);
    const nodes = this.inventory.nodeList();
    return {
      service: svc ? { id: svc.id, name: svc.name, replicas: replicasOf(svc) } : undefined,
      managed: this.isManaged(alert.service),
      nodeKnown: this.inventory.node(alert.node) !== undefined,
      inFlight: this.ledger.current(alert.service),
      cooldownUntil: this.ledger.cooldownUntil(alert.service),
      breaches,
      possibleTargets: svc ? possibleTargets(nodes, baseConstraints(svc.spec), alert.node).length : 0,
    };
  }

  /** T3, and alert_ignored when nothing is done. */
  private conclude(alert: Alert, decision: Decision, breaches: number, actionId?: string): AlertOutcome {
    const ids = { alertId: alert.id, service: alert.service, ...(actionId ? { actionId } : {}) };
    const detail = decision.kind === 'ignore' ? decision.detail : undefined;
    this.events.event('decision_made', { ...ids, decision: decision.kind, reason: decision.reason, detail, breaches });
    if (decision.kind !== 'ignore') return { accepted: true, decision: decision.kind, reason: decision.reason, actionId };
    this.events.event('alert_ignored', { ...ids, reason: decision.reason, detail, alertNode: alert.node });
    return { accepted: false, decision: 'ignore', reason: decision.reason, detail };
  }

  private async runAlertAction(action: InFlightAction, alert: Alert): Promise<void> {
    const cfg = this.config();
    const ctx = { actionId: action.actionId, alertId: alert.id, service: alert.service };
    await this.runAction(action, async () => {
      if (action.kind === 'migrate') {
        const svc = this.inventory.service(alert.service);
        // `==target` only when the service has one replica: with more, every other replica's node
        // would violate it and swarm would move them all onto the target.
        const target =
          cfg.manager.migration.placement === 'least_loaded' && svc && replicasOf(svc) === 1
            ? chooseTarget(
                this.inventory.nodeList(),
                baseConstraints(svc.spec),
                alert.node,
                this.metrics.nodeLoads(this.clock.now()),
                new Set(this.metrics.forService(alert.service, this.clock.now()).map((e) => e.node)),
              )
            : undefined;
        await this.controller.migrate({ ...ctx, fromNode: alert.node, taskId: alert.task, container: alert.container, target });
      } else {
        await this.controller.scaleUp(ctx, cfg.scenarios.scenario2_scaling.max_replicas);
      }
    });
  }

  /** Runs an action reserved in the ledger: failure event, cooldown, inventory refresh, release. */
  async runAction(action: InFlightAction, body: () => Promise<unknown>): Promise<void> {
    try {
      await body();
    } catch (error) {
      const deadline = deadlineCause(error);
      this.events.event('action_failed', {
        actionId: action.actionId,
        service: action.service,
        ...(action.alertId ? { alertId: action.alertId } : {}),
        action: action.kind,
        reason: (error as Error).message,
        elapsedMs: Math.round(this.clock.now() - action.startedAt),
        ...(deadline ? { call: deadline.call, waitedMs: deadline.waitedMs, limitMs: deadline.limitMs } : {}),
        ...(error instanceof ActionFailure ? error.details : {}),
      });
    } finally {
      const s = this.config().scenarios;
      const cooldownS =
        action.kind === 'migrate' ? s.scenario1_migration.cooldown_period : action.kind === 'scale_up' ? s.scenario2_scaling.scale_up_cooldown : 0;
      if (cooldownS > 0) this.ledger.startCooldown(action.service, action.kind, this.clock.now() + cooldownS * 1000);
      this.handoffs.end(action.actionId, 'the action is over');
      await this.inventory.refresh().catch((error: Error) =>
        this.events.event('swarm_error', { error: error.message, during: 'refresh after action' }),
      );
      this.ledger.release(action);
    }
  }

  /** Keeps a running action in `idle()`'s sight. */
  track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Resolves when no action started by an alert is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /**
   * Managed services the manager scaled up and not yet back down: read from their labels, so a
   * restart keeps them. A labelled service taken out of `manager.services` is left alone.
   */
  scaledServices(): string[] {
    return this.inventory
      .serviceList()
      .filter((s) => scaledUpFrom(s.spec) !== undefined && this.isManaged(s.name))
      .map((s) => s.name);
  }

  /** A report in entries, as POST /report takes it. */
  handleReport(report: Report, receivedAt: number): number {
    return this.handleColumns(toColumns(report), receivedAt);
  }

  /** A report in columns, as the stream carries it and the cache keeps it. */
  handleColumns(report: ColumnReport, receivedAt: number): number {
    const cfg = this.config();
    this.metrics.setTtl(this.metricsTtlMs());
    this.metrics.put(report, receivedAt);
    const { container, cpu, mem, net } = report;
    const usage = { cpu: 0, mem: 0, net: 0 }; // one object for the loop: evaluate only reads it
    for (let i = 0; i < container.length; i++) {
      usage.cpu = cpu[i];
      usage.mem = mem[i];
      usage.net = net[i];
      this.breaches.recordSample(container[i], evaluate(cfg.scenarios, usage), report.t);
    }
    return container.length;
  }

  /** /metrics: the counters, with the gauges read now. */
  metricsText(): string {
    const now = this.clock.now();
    return this.telemetry.render({
      inFlight: this.ledger.inFlightList(),
      cooldowns: this.ledger.cooldownList(now),
      reportingNodes: this.metrics.reportingNodes(now).size,
    });
  }

  state() {
    const now = this.clock.now();
    return {
      services: this.inventory
        .serviceList()
        .filter((s) => this.isManaged(s.name))
        .map((s) => ({ name: s.name, id: s.id, replicas: replicasOf(s), updateState: s.updateState ?? null })),
      nodes: this.inventory.nodeList().map((n) => ({ hostname: n.hostname, role: n.role, state: n.state, availability: n.availability })),
      inFlight: this.ledger.inFlightList(),
      cooldowns: this.ledger.cooldownList(now),
      breachCounters: this.breaches.list(),
      scaledServices: this.scaledServices(),
      reportingNodes: Object.fromEntries(this.metrics.reportingNodes(now)),
      cachedContainers: this.metrics.freshCount(now),
    };
  }
}
