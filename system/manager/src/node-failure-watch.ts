import type { Clock } from './clock.ts';
import { Periodic } from './periodic.ts';
import { NodeFailureDetector, type DetectorEvent, type ProbeResult } from './node-failure-detector.ts';
import { evacuate, evacuatedNodes, readmitNode } from './node-evacuation.ts';
import { publishedPorts, tcpOpens } from './node-probe.ts';
import { controllerOptions, type RecoveryManager } from './recovery-manager.ts';
import { updateWithRetry } from './service-updater.ts';
import type { ServiceInfo, SwarmPort, TaskInfo } from './swarm-port.ts';

export type Connect = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

/**
 * Every `manager.node_detection.interval_ms`: judges the nodes (node-failure-detector.ts), moves the
 * managed replicated tasks off a node found failed (node-evacuation.ts), and once a failed node is
 * back — Ready in swarm and its agent reporting again — lifts its exclusions, which moves nothing
 * (a relaxed placement does not restart a task whose node satisfies it). Exclusions a previous
 * manager left are lifted the same way. Every step is an event.
 */
export class NodeFailureWatch {
  readonly detector: NodeFailureDetector;
  /** Failed node → when it was found failed (manager clock). */
  private readonly detectedAt = new Map<string, number>();
  /** `service\nnode` evacuations that met another action on the service: retried every tick. */
  private readonly deferred = new Map<string, { service: string; node: string; t0: number }>();
  private readonly loop: Periodic;

  constructor(
    private readonly manager: RecoveryManager,
    private readonly port: SwarmPort,
    private readonly clock: Clock,
    private readonly connect: Connect = tcpOpens,
  ) {
    this.detector = new NodeFailureDetector(clock, () => {
      const cfg = manager.config();
      const nd = cfg.manager.node_detection;
      return { reportIntervalMs: cfg.monitoring.poll_interval * 1000, missedReports: nd.missed_reports, probeFailures: nd.probe_failures };
    });
    this.loop = new Periodic(
      () => manager.config().manager.node_detection.interval_ms,
      () => this.tick(),
      (error) => manager.events.event('swarm_error', { error: error.message, during: 'node-failure watch' }),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  async tick(): Promise<void> {
    if (this.manager.config().manager.node_detection.enabled) {
      const tasks = new Map<string, Promise<TaskInfo[]>>();
      const events = await this.detector.tick(this.manager.metrics.lastSeen(), (node) => this.probe(node, tasks));
      for (const e of events) await this.on(e);
      for (const d of [...this.deferred.values()]) await this.evacuateService(d.service, d.node, d.t0);
    }
    await this.readmit();
  }

  private async on(e: DetectorEvent): Promise<void> {
    const { event, node, ...fields } = e;
    if (event !== 'node_failure_detected') {
      this.manager.events.event(event, { hostname: node, ...fields });
      return;
    }
    this.detectedAt.set(node, this.clock.now());
    const services = await this.stranded(node);
    this.manager.events.event(event, { hostname: node, ...fields, services: services.map((s) => s.name) });
    for (const s of services) await this.evacuateService(s.name, node, e.t0);
  }

  /** Managed replicated services with a task meant to run on `node`. */
  private async stranded(node: string): Promise<ServiceInfo[]> {
    const id = this.manager.inventory.node(node)?.id;
    if (!id) return [];
    const out: ServiceInfo[] = [];
    for (const svc of this.managedReplicated()) {
      if ((await this.port.listTasks(svc.name)).some((t) => t.nodeId === id && t.desiredState === 'running')) out.push(svc);
    }
    return out;
  }

  private managedReplicated(): ServiceInfo[] {
    return this.manager.inventory.serviceList().filter((s) => this.manager.isManaged(s.name) && s.spec.Mode?.Replicated !== undefined);
  }

  /** One probe round: the published ports of the managed services' live tasks on `node`, and `probe_ports`. */
  private async probe(node: string, tasks: Map<string, Promise<TaskInfo[]>>): Promise<ProbeResult> {
    const info = this.manager.inventory.node(node);
    const nd = this.manager.config().manager.node_detection;
    if (!info?.addr) return { tried: [] };
    const ports = new Set(nd.probe_ports);
    for (const svc of this.managedReplicated()) {
      const list = tasks.get(svc.name) ?? this.port.listTasks(svc.name);
      tasks.set(svc.name, list);
      if ((await list).some((t) => t.nodeId === info.id && t.state === 'running' && t.desiredState === 'running')) {
        for (const p of publishedPorts(svc.spec)) ports.add(p);
      }
    }
    const tried = [...ports].map((p) => `${info.addr}:${p}`);
    const open = await Promise.all([...ports].map((p) => this.connect(info.addr!, p, nd.probe_timeout_ms)));
    const i = open.indexOf(true);
    return { tried, ...(i >= 0 ? { reachable: tried[i] } : {}) };
  }

  private async evacuateService(service: string, node: string, t0: number): Promise<void> {
    const key = `${service}\n${node}`;
    const action = this.manager.ledger.reserve(service, 'evacuate', this.clock.now());
    if (!action) {
      if (!this.deferred.has(key)) {
        this.manager.events.event('evacuation_deferred', { service, hostname: node, reason: 'another action on the service is in flight', inFlight: this.manager.ledger.current(service)?.actionId });
      }
      this.deferred.set(key, { service, node, t0 });
      return;
    }
    this.deferred.delete(key);
    const nodeId = this.manager.inventory.node(node)?.id ?? '';
    this.manager.events.event('decision_made', { actionId: action.actionId, service, decision: 'evacuate', reason: 'node_failed', hostname: node, t0 });
    const o = () => controllerOptions(this.manager.config());
    const deps = { port: this.port, inventory: this.manager.inventory, clock: this.clock, events: this.manager.events, options: o };
    this.manager.track(this.manager.runAction(action, () => evacuate(deps, { actionId: action.actionId, service, node, nodeId })));
  }

  /** Lifts the exclusions of every node that is back: Ready in swarm, and reporting since it failed. */
  private async readmit(): Promise<void> {
    const now = this.clock.now();
    const lastSeen = this.manager.metrics.lastSeen();
    const reporting = this.manager.metrics.reportingNodes(now);
    const excluded = new Map<string, ServiceInfo[]>();
    for (const svc of this.manager.inventory.serviceList()) {
      for (const node of evacuatedNodes(svc.spec)) excluded.set(node, [...(excluded.get(node) ?? []), svc]);
    }
    const candidates = new Set([...this.detector.failed(), ...excluded.keys()]);
    for (const node of candidates) {
      const detected = this.detectedAt.get(node);
      const back =
        this.manager.inventory.node(node)?.state === 'ready' &&
        reporting.has(node) &&
        (detected === undefined || (lastSeen.get(node) ?? 0) > detected);
      if (!back) continue;
      const services = excluded.get(node) ?? [];
      if (services.some((s) => this.manager.ledger.current(s.name))) continue;
      const o = controllerOptions(this.manager.config());
      const removed: string[] = [];
      try {
        for (const s of services) {
          const done = await updateWithRetry(this.port, this.clock, s.name, (spec) => readmitNode(spec, node), { attempts: o.updateAttempts });
          if (done) removed.push(s.name);
        }
      } catch (error) {
        this.manager.events.event('readmit_failed', { hostname: node, error: (error as Error).message, services: services.map((s) => s.name), readmitted: removed });
        continue;
      }
      this.detector.restore(node);
      this.detectedAt.delete(node);
      for (const key of [...this.deferred.keys()]) if (key.endsWith(`\n${node}`)) this.deferred.delete(key);
      this.manager.events.event('node_restored', {
        hostname: node,
        services: removed,
        constraint: `node.hostname!=${node}`,
        ...(detected !== undefined ? { failedForMs: Math.round(now - detected) } : { fromEarlierManager: true }),
      });
      await this.manager.inventory.refresh().catch(() => undefined);
    }
  }
}
