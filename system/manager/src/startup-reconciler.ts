import type { Clock } from './clock.ts';
import { temporaryConstraints, withTemporaryConstraints } from './placement.ts';
import { controllerOptions, type RecoveryManager } from './recovery-manager.ts';
import { updateWithRetry } from './service-updater.ts';
import { ActionFailure } from './swarm-controller.ts';
import type { SwarmPort } from './swarm-port.ts';

/** Update states in which swarm is still moving tasks: the rollout a dead manager started. */
const ROLLING = new Set(['updating', 'rollback_started']);

/**
 * A manager killed between T4 and T6 leaves a migration's temporary `node.hostname` constraint on the
 * service (and perhaps a rollout still running). On start, for each managed service carrying one:
 * hold the service in the ledger (so alerts, also re-alerts about the same stress, are `locked`),
 * wait for the rollout to end, remove the constraint without ForceUpdate (relaxing the placement
 * restarts no task), then let the migration cooldown run as after any migration.
 *
 * The reservations are made before this function first awaits: call it before the API listens.
 */
export function reconcileOnStart(manager: RecoveryManager, port: SwarmPort, clock: Clock): Promise<void> {
  const leftovers = manager.inventory.serviceList().filter((s) => manager.isManaged(s.name) && temporaryConstraints(s.spec).length > 0);
  const jobs = leftovers.map((svc) => {
    const action = manager.ledger.reserve(svc.name, 'migrate', clock.now());
    if (!action) return Promise.resolve();
    const ids = { actionId: action.actionId, service: svc.name };
    manager.events.event('reconcile_started', { ...ids, constraints: temporaryConstraints(svc.spec), updateState: svc.updateState ?? null });
    return manager.runAction(action, async () => {
      const o = controllerOptions(manager.config());
      const start = clock.now();
      let current = await port.inspectService(svc.name);
      while (current.updateState !== undefined && ROLLING.has(current.updateState)) {
        const waited = clock.now() - start;
        if (waited >= o.migrationTimeoutMs) {
          throw new ActionFailure(`reconcile: update of ${svc.name} still ${current.updateState} after ${Math.round(waited)} ms (limit ${o.migrationTimeoutMs} ms); temporary constraint left`);
        }
        await clock.sleep(o.pollMs);
        current = await port.inspectService(svc.name);
      }
      const removed = temporaryConstraints(current.spec);
      const outcome = await updateWithRetry(port, clock, svc.name, (spec) => (temporaryConstraints(spec).length > 0 ? withTemporaryConstraints(spec, []) : null), {
        attempts: o.updateAttempts,
        onRetry: (attempt, error) => manager.events.event('update_retry', { ...ids, attempt, error: error.message }),
      });
      manager.events.event('reconcile_completed', {
        ...ids,
        removed: outcome ? removed : [],
        updateState: current.updateState ?? null,
        waitedMs: Math.round(clock.now() - start),
      });
    });
  });
  return Promise.all(jobs).then(() => undefined);
}
