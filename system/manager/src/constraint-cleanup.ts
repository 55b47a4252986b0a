import type { Clock } from './clock.ts';
import { temporaryConstraints, withTemporaryConstraints } from './placement.ts';
import { updateWithRetry } from './service-updater.ts';
import type { SwarmPort } from './swarm-port.ts';

/**
 * Removes the temporary placement constraints a migration recorded on the service (none: no update).
 * Relaxing a placement does not restart a task whose node still satisfies it, so this never moves a
 * task and needs no ForceUpdate. Returns the constraints removed; rejects when swarm refused.
 */
export async function removeTemporaryConstraints(
  port: SwarmPort,
  clock: Clock,
  service: string,
  options: { attempts: number; onRetry?: (attempt: number, error: Error) => void },
): Promise<string[]> {
  let removed: string[] = [];
  await updateWithRetry(
    port,
    clock,
    service,
    (spec) => {
      removed = temporaryConstraints(spec);
      return removed.length > 0 ? withTemporaryConstraints(spec, []) : null;
    },
    options,
  );
  return removed;
}
