import type { Clock } from './clock.ts';
import { removeTemporaryConstraints } from './constraint-cleanup.ts';
import { deadlineCause } from './deadline-swarm-port.ts';
import { withTemporaryConstraints } from './placement.ts';
import { updateWithRetry } from './service-updater.ts';
import type { SwarmPort, TaskInfo } from './swarm-port.ts';
import { planWithdrawal, relaxIsSafe } from './withdrawal-plan.ts';

export interface RestoreOptions {
  attempts: number;
  pollMs: number;
  withdrawTimeoutMs: number;
  /** Written with an exclusion, like a migration's own constraint: a restarted manager names it. */
  actionId?: string;
  onRetry?: (attempt: number, error: Error) => void;
}

/** What was done, as data for `action_failed` / `reconcile_completed`. */
export interface RestoreDetails {
  withdrawn: string[];
  kept: string[];
  excluded: string[];
  removed: string[];
  /** After a withdrawal: whether the kept tasks still run, or why that could not be checked. */
  keptRunning?: boolean;
  checkError?: string;
  error?: string;
  call?: string;
  waitedMs?: number;
  limitMs?: number;
}

export interface RestoreOutcome {
  /** No temporary constraint is left on the service. */
  ok: boolean;
  /** What was done and why, for a reason text. */
  text: string;
  details: RestoreDetails;
}

const names = (tasks: TaskInfo[]) => tasks.map((t) => t.id);

/**
 * Removes a migration's temporary constraints without stopping a running task (withdrawal-plan.ts
 * says why a plain rollback or relax can): when a replacement that has not started shares its slot
 * with a running task, first replace the temporary constraints by an exclusion of the
 * replacement's node (`node.id!=…`, recorded like any temporary constraint), wait — bounded — until
 * swarm has withdrawn it, and only then restore the placement. When that cannot be done (a call
 * fails or passes its deadline, swarm does not withdraw in time) the constraint stays and the
 * outcome says why: the leftover sweep restores it later the same way. Never rejects.
 */
export async function restorePlacement(port: SwarmPort, clock: Clock, service: string, o: RestoreOptions): Promise<RestoreOutcome> {
  const d: RestoreDetails = { withdrawn: [], kept: [], excluded: [], removed: [] };
  let stage: Stage = 'read';
  try {
    const plan = planWithdrawal(await port.listTasks(service));
    d.withdrawn = names(plan.withdraw);
    d.kept = names(plan.keep);
    if (!relaxIsSafe(plan)) {
      stage = 'exclude';
      d.excluded = plan.excludeNodeIds.map((id) => `node.id!=${id}`);
      await updateWithRetry(port, clock, service, (spec) => withTemporaryConstraints(spec, d.excluded, o.actionId), o);
      stage = 'wait';
      await untilRelaxIsSafe(port, clock, service, o);
    }
    stage = 'relax';
    d.removed = await removeTemporaryConstraints(port, clock, service, o);
  } catch (error) {
    const e = error as Error;
    const deadline = deadlineCause(e);
    Object.assign(d, { error: e.message }, deadline ? { call: deadline.call, waitedMs: deadline.waitedMs, limitMs: deadline.limitMs } : {});
    const text = [...withdrawalText(d, stage), `temporary constraint left behind: ${e.message} (${LEFT_BEHIND[stage]})`];
    return { ok: false, text: text.join('; '), details: d };
  }
  if (d.withdrawn.length > 0) {
    // what counts in the end: the tasks the withdrawal was for still serving
    try {
      const after = await port.listTasks(service);
      d.keptRunning = d.kept.every((id) => after.some((t) => t.id === id && t.state === 'running' && t.desiredState === 'running'));
    } catch (error) {
      d.checkError = (error as Error).message;
    }
  }
  const removed = d.removed.length > 0 ? 'removed' : 'already gone (swarm restored the previous spec, or the update never took effect)';
  return { ok: true, text: [...withdrawalText(d, 'done'), `temporary constraint ${removed}`].join('; '), details: d };
}

type Stage = 'read' | 'exclude' | 'wait' | 'relax' | 'done';

const LEFT_BEHIND: Record<Stage, string> = {
  read: 'the tasks could not be read, and relaxing the placement blind could stop a running task; the leftover sweep retries',
  exclude: 'the replacement could not be withdrawn, and relaxing the placement could stop the task it shares its slot with; the leftover sweep retries',
  wait: 'swarm did not withdraw the replacement in time, and relaxing the placement now could stop the task it shares its slot with; the leftover sweep retries',
  relax: 'the leftover sweep retries',
  done: '',
};

/** What happened to replacements that had not started, and why it matters. */
function withdrawalText(d: RestoreDetails, stage: Stage): string[] {
  if (d.withdrawn.length === 0) return [];
  const replacement = `replacement ${d.withdrawn.join(', ')} not running yet beside ${d.kept.join(', ')}`;
  const excluding = `excluding ${d.excluded.join(', ')}`;
  switch (stage) {
    case 'read':
    case 'exclude':
      return [replacement];
    case 'wait':
      return [`${replacement}: withdrawal asked for by ${excluding}`];
    case 'relax':
      return [d.excluded.length > 0 ? `${replacement}: withdrawn by ${excluding}` : replacement];
    case 'done': {
      // no update at all cannot make swarm choose between the tasks of a slot
      if (d.excluded.length === 0 && d.removed.length === 0) return [`${replacement}: left to swarm, no update needed`];
      const how = d.excluded.length > 0 ? excluding : 'restoring the placement (it had no node yet)';
      const parts = [
        `${replacement}: withdrawn by ${how} before the placement was restored, ` +
          'because a rollback or a plain relax could have kept the replacement and stopped the running task',
      ];
      const state = d.keptRunning === undefined ? `not checked afterwards: ${d.checkError ?? 'no answer'}` : d.keptRunning ? 'still running' : 'no longer running';
      parts.push(`${d.kept.join(', ')} ${state}`);
      return parts;
    }
  }
}

async function untilRelaxIsSafe(port: SwarmPort, clock: Clock, service: string, o: RestoreOptions): Promise<void> {
  const start = clock.now();
  for (;;) {
    const plan = planWithdrawal(await port.listTasks(service));
    if (relaxIsSafe(plan)) return;
    const waited = clock.now() - start;
    if (waited >= o.withdrawTimeoutMs) {
      throw new Error(
        `${names(plan.withdraw).join(', ')} still meant to run on ${plan.excludeNodeIds.join(', ')} after ${Math.round(waited)} ms (limit ${o.withdrawTimeoutMs} ms)`,
      );
    }
    await clock.sleep(o.pollMs);
  }
}
