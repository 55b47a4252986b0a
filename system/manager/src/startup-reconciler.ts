import type { Clock } from './clock.ts';
import { actionInFlight, temporaryConstraints } from './placement.ts';
import { restorePlacement } from './placement-restore.ts';
import { controllerOptions, type RecoveryManager } from './recovery-manager.ts';
import { ActionFailure } from './swarm-controller.ts';
import { scaledUpFrom } from './swarm-labels.ts';
import { replicasOf } from './swarm-inventory.ts';
import type { SwarmPort } from './swarm-port.ts';

/** Update states in which swarm is still moving tasks: the rollout a dead manager started. */
const ROLLING = new Set(['updating', 'rollback_started']);

/**
 * What a dead manager left in the swarm, read back from the services' labels on start:
 *
 * - A migration's temporary `node.hostname` constraint (killed between T4 and the clean-up; perhaps
 *   with the rollout still running). For each managed service carrying one: hold the service in the
 *   ledger (so alerts, also re-alerts about the same stress, are `locked`), wait for the rollout to
 *   end, remove the constraint without ForceUpdate (relaxing the placement restarts no task), then
 *   let the migration cooldown run as after any migration. The constraint is removed also when the
 *   wait times out or fails (left behind, it would keep excluding, or pinning to, one node for good),
 *   after withdrawing a replacement that has not started (placement-restore.ts).
 * - Services it scaled up (`swarmguard.scaled-up`): the scale-down loop watches them by that label,
 *   so their scale-down resumes; logged here as `scale_down_resumed`.
 *
 * The reservations are made before this function first awaits: call it before the API listens.
 */
export function reconcileOnStart(manager: RecoveryManager, port: SwarmPort, clock: Clock): Promise<void> {
  for (const svc of manager.inventory.serviceList()) {
    const from = scaledUpFrom(svc.spec);
    if (from !== undefined && manager.isManaged(svc.name)) manager.events.event('scale_down_resumed', { service: svc.name, originalReplicas: from, replicas: replicasOf(svc) });
  }
  return removeLeftoverConstraints(manager, port, clock);
}

/**
 * The constraint part of the reconciliation, for every managed service whose temporary constraint
 * the inventory shows and that no action holds (a running migration holds its service until its
 * own clean-up is done). Also run while the manager runs (LeftoverSweep), for a clean-up that
 * swarm refused. The reservations are made before the first await.
 */
export function removeLeftoverConstraints(manager: RecoveryManager, port: SwarmPort, clock: Clock): Promise<void> {
  const leftovers = manager.inventory.serviceList().filter((s) => manager.isManaged(s.name) && temporaryConstraints(s.spec).length > 0);
  const jobs = leftovers.map((svc) => {
    const action = manager.ledger.reserve(svc.name, 'migrate', clock.now());
    if (!action) return Promise.resolve();
    // the migration a dead manager cut short, by its own id: its events end here
    const interrupted = actionInFlight(svc.spec) ?? null;
    const ids = { actionId: action.actionId, service: svc.name, interruptedActionId: interrupted };
    manager.events.event('reconcile_started', { ...ids, constraints: temporaryConstraints(svc.spec), updateState: svc.updateState ?? null });
    return manager.runAction(action, async () => {
      const o = controllerOptions(manager.config());
      const start = clock.now();
      let updateState: string | undefined;
      let waitProblem: Error | undefined;
      try {
        let current = await port.inspectService(svc.name);
        while (current.updateState !== undefined && ROLLING.has(current.updateState)) {
          const waited = clock.now() - start;
          if (waited >= o.migrationTimeoutMs) {
            throw new ActionFailure(`reconcile: update of ${svc.name} still ${current.updateState} after ${Math.round(waited)} ms (limit ${o.migrationTimeoutMs} ms)`);
          }
          await clock.sleep(o.pollMs);
          current = await port.inspectService(svc.name);
        }
        updateState = current.updateState;
      } catch (error) {
        waitProblem = error as Error;
      }
      // a rollout cut short by the timeout may still be starting a replacement: restore without stopping the task beside it
      const restored = await restorePlacement(port, clock, svc.name, {
        attempts: o.updateAttempts,
        pollMs: o.pollMs,
        withdrawTimeoutMs: o.withdrawTimeoutMs,
        actionId: action.actionId,
        onRetry: (attempt, error) => manager.events.event('update_retry', { ...ids, attempt, error: error.message }),
      });
      if (waitProblem || !restored.ok) {
        const text = waitProblem ? `${waitProblem.message}; ${restored.text}` : `reconcile: ${restored.text}`;
        throw new ActionFailure(text, { cause: waitProblem, details: { cleanup: restored.details } });
      }
      manager.events.event('reconcile_completed', {
        ...ids,
        removed: restored.details.removed,
        withdrawn: restored.details.withdrawn,
        updateState: updateState ?? null,
        waitedMs: Math.round(clock.now() - start),
      });
    });
  });
  return Promise.all(jobs).then(() => undefined);
}
