import { Periodic } from './periodic.ts';
import { fitsInFewerReplicas } from '../../shared/rules.ts';
import type { Clock } from './clock.ts';
import type { ClockedEvents } from './clocked-events.ts';
import type { RecoveryManager } from './recovery-manager.ts';
import { replicasOf } from './swarm-inventory.ts';

export interface ScaleDownStatus {
  service: string;
  replicas: number | null;
  /** Why the loop is not counting idle time, or 'idle' while it is. */
  state: string;
  idleForMs?: number;
  totals?: { cpu: number; mem: number; reports: number };
}

/**
 * Every `scaling.check_interval` seconds: for each service the manager scaled up (and every service
 * listed in `manager.services`), sum the latest cpu and memory of its replicas from agent reports;
 * when the load would fit in one replica fewer (`fitsInFewerReplicas`) continuously for
 * `scale_down_cooldown` seconds, remove one replica (never below `min_replicas`), then start counting
 * again. No fresh reports, or fewer reports than replicas, means no scale-down.
 */
export class ScaleDownLoop {
  /** When the service's idle period began, and at how many replicas (another count: a new period). */
  private readonly idleSince = new Map<string, { since: number; replicas: number }>();
  /** Busy ticks in a row inside an idle period: fewer than consecutive_breaches are a blip. */
  private readonly busyTicks = new Map<string, number>();
  private readonly status = new Map<string, ScaleDownStatus>();
  private readonly loop: Periodic;

  constructor(
    private readonly manager: RecoveryManager,
    private readonly clock: Clock,
  ) {
    this.events = manager.events;
    this.loop = new Periodic(
      () => manager.config().manager.scaling.check_interval * 1000,
      () => this.tick(),
      (error) => this.events.event('scale_down_error', { error: error.message }),
    );
  }

  private readonly events: ClockedEvents;

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  statuses(): ScaleDownStatus[] {
    return [...this.status.values()];
  }

  private note(s: ScaleDownStatus): void {
    const before = this.status.get(s.service);
    this.status.set(s.service, s);
    // log transitions only, not every tick
    if (before?.state !== s.state) this.events.event('scale_down_check', { ...s });
  }

  async tick(): Promise<void> {
    const cfg = this.manager.config();
    const rules = cfg.scenarios.scenario2_scaling;
    const now = this.clock.now();
    await this.manager.inventory.refresh();
    this.manager.breaches.prune(now - 10 * 60_000);
    // scaled-up services are found by their label, so a restarted manager resumes their scale-down
    const services = new Set([...this.manager.scaledServices(), ...(cfg.manager.services ?? [])]);
    for (const name of services) {
      const svc = this.manager.inventory.service(name);
      const replicas = svc ? replicasOf(svc) : null;
      const skip = (state: string, extra: Partial<ScaleDownStatus> = {}) => {
        this.idleSince.delete(name);
        this.busyTicks.delete(name);
        this.note({ service: name, replicas, state, ...extra });
      };
      if (!svc || replicas === null) { skip(svc ? 'not_replicated' : 'no_such_service'); continue; }
      if (replicas <= rules.min_replicas) { skip('at_min_replicas'); continue; }
      if (this.manager.ledger.current(name)) { skip('action_in_flight'); continue; }
      const entries = this.manager.metrics.forService(name, now);
      if (entries.length === 0) { skip('no_reports'); continue; }
      const totals = {
        cpu: entries.reduce((sum, e) => sum + e.m.cpu, 0),
        mem: entries.reduce((sum, e) => sum + e.m.mem, 0),
        reports: entries.length,
      };
      if (entries.length < replicas) { skip('incomplete_reports', { totals }); continue; }
      if (!fitsInFewerReplicas(rules, totals, replicas)) {
        // As a scale-up needs consecutive breaches, so ending an idle period does: one busy tick is a
        // sample that caught a garbage collection or a health check on a small CPU limit (seen on
        // the lab at 0.25 CPU: two idle replicas summed 75–86 % once every 20–25 s, which kept a
        // 30 s scale_down_cooldown from ever completing for minutes).
        const prev = this.idleSince.get(name);
        const busy = (this.busyTicks.get(name) ?? 0) + 1;
        if (prev && prev.replicas === replicas && busy < rules.consecutive_breaches) {
          this.busyTicks.set(name, busy);
          this.note({ service: name, replicas, state: 'idle', idleForMs: now - prev.since, totals });
          continue;
        }
        skip('busy', { totals });
        continue;
      }
      this.busyTicks.delete(name);
      // A scale-up can fall between two ticks (it takes ~2 s, a tick is every check_interval s):
      // idle time counted at fewer replicas must not count for the new replica.
      const prev = this.idleSince.get(name);
      const since = prev && prev.replicas === replicas ? prev.since : now;
      this.idleSince.set(name, { since, replicas });
      const idleForMs = now - since;
      this.note({ service: name, replicas, state: 'idle', idleForMs, totals });
      if (idleForMs < rules.scale_down_cooldown * 1000) continue;

      const action = this.manager.ledger.reserve(name, 'scale_down', now);
      if (!action) continue;
      this.idleSince.delete(name);
      this.events.event('decision_made', {
        actionId: action.actionId,
        service: name,
        decision: 'scale_down',
        reason: `cpu ${totals.cpu.toFixed(1)} < ${rules.cpu_threshold}×${replicas - 1} and mem ${totals.mem.toFixed(1)} < ${rules.memory_threshold}×${replicas - 1} for ${Math.round(idleForMs)} ms`,
        replicas,
        totals,
      });
      await this.manager.runAction(action, () =>
        this.manager.controller.scaleDown({ actionId: action.actionId, service: name }, rules.min_replicas),
      );
      this.note({ service: name, replicas: replicas - 1, state: 'scaled_down' });
    }
  }
}
