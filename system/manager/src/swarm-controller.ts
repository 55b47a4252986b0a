import { ActionFailure, ids, isAlertTask, isLive, round, startFirstUpdate, type ActionContext, type ControllerOptions, type MigrationRequest } from './action-context.ts';
import type { Clock } from './clock.ts';
import type { ClockedEvents } from './clocked-events.ts';
import type { Handoffs } from './handoff.ts';
import { withTemporaryConstraints } from './placement.ts';
import { awaitMove, type Moved } from './move-watch.ts';
import { restorePlacement, type RestoreOutcome } from './placement-restore.ts';
import { updateWithRetry } from './service-updater.ts';
import { labelsAfterScale } from './swarm-labels.ts';
import type { SwarmInventory } from './swarm-inventory.ts';
import { TERMINAL_TASK_STATES, type ServiceSpec, type SwarmPort } from './swarm-port.ts';
import type { TaskLookup } from './types.ts';

export { ActionFailure, type ActionContext, type ControllerOptions, type MigrationRequest } from './action-context.ts';

export type ActionResult = { ok: true; toNode?: string } | { ok: false; reason: string };

/** Acts on the swarm through the port: migration (DESIGN.md §2.3), scale-up, scale-down. */
export class SwarmController {
  constructor(
    private readonly port: SwarmPort,
    private readonly inventory: SwarmInventory,
    private readonly clock: Clock,
    private readonly events: ClockedEvents,
    private readonly options: () => ControllerOptions,
    private readonly handoffs?: Handoffs,
  ) {}

  /** Stale check: where the alert's task is now and in what state. */
  async lookupTask(service: string, taskId: string, container: string): Promise<TaskLookup> {
    const tasks = await this.port.listTasks(service);
    const task = tasks.find((t) => (taskId ? t.id === taskId : t.containerId?.startsWith(container)));
    if (!task) return { found: false };
    return { found: true, node: await this.inventory.hostnameOf(task.nodeId), state: task.state, desiredState: task.desiredState, since: task.since };
  }

  private update(ctx: ActionContext, mutate: (spec: ServiceSpec) => ServiceSpec | null, beforeFirstCall?: () => void) {
    return updateWithRetry(this.port, this.clock, ctx.service, mutate, {
      attempts: this.options().updateAttempts,
      beforeFirstCall,
      onRetry: (attempt, error) =>
        this.events.event('update_retry', { ...ids(ctx), attempt, error: error.message }),
    });
  }

  /**
   * Moves exactly the alerting task (DESIGN.md §2.3): a temporary placement constraint that its node
   * violates, without ForceUpdate. Swarm then replaces only the tasks on nodes that violate the new
   * placement — here the one task on `fromNode`, in the same slot, start-first — and the others keep
   * running (a ForceUpdate would roll every replica). Whatever happens once the update was sent,
   * the temporary constraint is removed before this returns or throws — after withdrawing a
   * replacement that has not started, if there is one — or, when even that fails, left for the
   * leftover sweep and said so.
   */
  async migrate(req: MigrationRequest): Promise<ActionResult> {
    const o = this.options();
    const added = req.target ? [`node.hostname==${req.target}`] : [`node.hostname!=${req.fromNode}`];
    const before = await this.port.listTasks(req.service);
    const old = before.find((t) => isAlertTask(t, req));
    let t4: number | undefined;
    let moved: Moved;
    let attempts: number;
    // Begun when the migration was decided, so the agent may ask before this runs (recovery-manager.ts).
    const handoff = o.earlyStop ? this.handoffs : undefined;
    try {
      const outcome = await this.update(
        req,
        (spec) => {
          if (!spec.Mode?.Replicated) throw new ActionFailure(`${req.service} is not a replicated service: its task on ${req.fromNode} cannot move`);
          const next = withTemporaryConstraints(spec, added, req.actionId);
          next.UpdateConfig = startFirstUpdate(next.UpdateConfig, o, 1);
          return next;
        },
        () => {
          t4 = this.events.event('action_started', { ...ids(req), action: 'migrate', fromNode: req.fromNode, constraints: added, slot: old?.slot ?? null }).t;
        },
      );
      if (!outcome) throw new ActionFailure('nothing to update');
      attempts = outcome.attempts;
      moved = await awaitMove(
        {
          port: this.port,
          inventory: this.inventory,
          clock: this.clock,
          events: this.events,
          options: o,
          onOldTaskReleased: handoff && (() => handoff.release(req.actionId, o.earlyStopDelayMs)),
        },
        req,
        old,
        new Set(before.map((t) => t.id)),
        t4 ?? this.clock.now(),
      );
    } catch (error) {
      handoff?.end(req.actionId, `migration failed: ${(error as Error).message}`);
      // The update may have been applied (even one whose call failed or timed out): clean up anyway.
      if (t4 === undefined) throw error;
      const cleanup = await this.cleanup(req);
      throw new ActionFailure(`${(error as Error).message}; ${cleanup.text}`, { cause: error, details: { cleanup: cleanup.details } });
    }
    handoff?.end(req.actionId, 'the old task is already shut down');
    const cleanup = await this.cleanup(req);
    const start = t4 ?? moved.t5;
    this.events.event('action_completed', {
      ...ids(req),
      action: 'migrate',
      fromNode: req.fromNode,
      toNode: moved.toNode,
      slot: old?.slot ?? null,
      updateAttempts: attempts,
      constraintRemoved: cleanup.ok,
      durations: { t4_t5: round(moved.t5 - start), t4_t6: round(moved.t6 - start), total: round(this.clock.now() - start) },
    });
    return { ok: true, toNode: moved.toNode };
  }

  /**
   * Removes the migration's temporary constraint on every path, without stopping a task that runs
   * (placement-restore.ts): no rollback, since on a timeout the replacement may still be starting
   * and swarm could keep it instead of the original. What could not be removed is logged and left
   * to the leftover sweep.
   */
  private async cleanup(ctx: ActionContext): Promise<RestoreOutcome> {
    const o = this.options();
    const outcome = await restorePlacement(this.port, this.clock, ctx.service, {
      attempts: o.updateAttempts,
      pollMs: o.pollMs,
      withdrawTimeoutMs: o.withdrawTimeoutMs,
      actionId: ctx.actionId,
      onRetry: (attempt, error) => this.events.event('update_retry', { ...ids(ctx), attempt, error: error.message }),
    });
    if (!outcome.ok) this.events.event('constraint_cleanup_failed', { ...ids(ctx), error: outcome.details.error, cleanup: outcome.details });
    return outcome;
  }

  async scaleUp(ctx: ActionContext, maxReplicas: number): Promise<ActionResult> {
    return this.scale(ctx, +1, maxReplicas);
  }

  async scaleDown(ctx: ActionContext, minReplicas: number): Promise<ActionResult> {
    return this.scale(ctx, -1, minReplicas);
  }

  private async scale(ctx: ActionContext, step: 1 | -1, bound: number): Promise<ActionResult> {
    const o = this.options();
    const action = step > 0 ? 'scale_up' : 'scale_down';
    const before = new Set((await this.port.listTasks(ctx.service)).map((t) => t.id));
    let t4 = 0;
    let from = 0;
    const outcome = await this.update(
      ctx,
      (spec) => {
        const replicated = spec.Mode?.Replicated;
        if (!replicated) throw new ActionFailure(`${ctx.service} is not a replicated service`);
        from = replicated.Replicas ?? 1;
        const to = from + step;
        if (step > 0 ? to > bound : to < bound) {
          throw new ActionFailure(`${from} replicas, ${step > 0 ? 'max' : 'min'}_replicas ${bound}`);
        }
        // the label records the original count in the swarm, so a restarted manager still scales back down
        return { ...spec, Labels: labelsAfterScale(spec, from, to), Mode: { ...spec.Mode, Replicated: { ...replicated, Replicas: to } } };
      },
      () => {
        t4 = this.events.event('action_started', { ...ids(ctx), action, fromReplicas: from, toReplicas: from + step }).t;
      },
    );
    if (!outcome) throw new ActionFailure('nothing to update');
    const target = from + step;
    const deadline = t4 + o.scaleTimeoutMs;
    for (;;) {
      const tasks = await this.port.listTasks(ctx.service);
      if (step > 0) {
        const fresh = tasks.find((t) => !before.has(t.id) && isLive(t));
        if (fresh) {
          const node = await this.inventory.hostnameOf(fresh.nodeId);
          const t5 = this.events.event('replacement_ready', { ...ids(ctx), action, newTaskId: fresh.id, toNode: node }).t;
          this.events.event('action_completed', { ...ids(ctx), action, replicas: target, toNode: node, durations: { t4_t5: round(t5 - t4) } });
          return { ok: true, toNode: node };
        }
      } else {
        const wanted = tasks.filter((t) => t.desiredState === 'running');
        const stopping = tasks.filter((t) => t.desiredState !== 'running' && !TERMINAL_TASK_STATES.has(t.state));
        if (wanted.length <= target && stopping.length === 0) {
          this.events.event('action_completed', { ...ids(ctx), action, replicas: target, durations: { total: round(this.clock.now() - t4) } });
          return { ok: true };
        }
      }
      const now = this.clock.now();
      if (now >= deadline) {
        throw new ActionFailure(
          `timeout: ${step > 0 ? 'no new replica running' : `not down to ${target} replicas`} after ${Math.round(now - t4)} ms (limit ${o.scaleTimeoutMs} ms)`,
        );
      }
      await this.clock.sleep(o.pollMs);
    }
  }
}
