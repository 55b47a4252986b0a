import { TERMINAL_TASK_STATES, type TaskInfo } from './swarm-port.ts';

/**
 * Why a failed migration must not simply roll back or relax its placement while a replacement is
 * still on its way. Swarm's updater (Docker 20.10, swarmkit) resolves an update slot by slot: a slot
 * that holds more than one task meant to run counts as dirty, and swarm keeps the first task in it
 * that is not dirty under the new spec (in store order, which is by random task id) and shuts the
 * others down at once, without waiting for the kept one to run. A task is dirty when its spec
 * differs beyond the placement, or when only the placement differs and its node violates the new
 * one (a task without a node yet counts as violating it). A start-first replacement that has not
 * started yet differs from the previous spec in its placement only, and its node satisfies the
 * previous placement, so a rollback — or the removal of the temporary constraint — may keep the
 * replacement and stop the running original. Measured on the lab: the original task replaced, 16
 * failed probes. Excluding the replacement's node first makes it the dirty one, and swarm keeps
 * the original.
 */
export interface WithdrawalPlan {
  /** Tasks meant to run but not running yet, in a slot where another task is running. */
  withdraw: TaskInfo[];
  /** The running tasks of those slots: what an update must keep. */
  keep: TaskInfo[];
  /** The nodes of the tasks to withdraw; an unassigned task needs none (any changed placement makes it dirty). */
  excludeNodeIds: string[];
}

/** A desired state up to `running` (new … ready, running): swarm still means the task to run. */
const meantToRun = (t: TaskInfo) => !TERMINAL_TASK_STATES.has(t.desiredState) && !TERMINAL_TASK_STATES.has(t.state);

/** Which tasks to withdraw before the placement may be relaxed; empty when any relaxing update is safe. */
export function planWithdrawal(tasks: readonly TaskInfo[]): WithdrawalPlan {
  const slots = new Map<number, TaskInfo[]>();
  for (const t of tasks) {
    // global tasks have no slot; a migration never moves one
    if (t.slot === undefined || !meantToRun(t)) continue;
    slots.set(t.slot, [...(slots.get(t.slot) ?? []), t]);
  }
  const withdraw: TaskInfo[] = [];
  const keep: TaskInfo[] = [];
  for (const group of slots.values()) {
    const running = group.filter((t) => t.state === 'running');
    const pending = group.filter((t) => t.state !== 'running');
    // nothing running in the slot: nothing to protect, and its replacement is its best chance
    if (running.length === 0 || pending.length === 0) continue;
    withdraw.push(...pending);
    keep.push(...running);
  }
  const excludeNodeIds = [...new Set(withdraw.map((t) => t.nodeId).filter((id) => id !== ''))].sort();
  return { withdraw, keep, excludeNodeIds };
}

/** The placement may be relaxed once no task to withdraw sits on a node (an unassigned one is dirty under it). */
export function relaxIsSafe(plan: WithdrawalPlan): boolean {
  return plan.excludeNodeIds.length === 0;
}
