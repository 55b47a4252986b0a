import type { Clock } from './clock.ts';
import type { ClockedEvents } from './clocked-events.ts';
import { ActionFailure, ids, isAlertTask, isLive, type ControllerOptions, type MigrationRequest } from './action-context.ts';
import type { SwarmInventory } from './swarm-inventory.ts';
import { TERMINAL_TASK_STATES, type SwarmPort, type TaskInfo } from './swarm-port.ts';

/** Update states after which swarm will not bring the replacement: the migration has failed. */
const FAILED_UPDATE_STATES = new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']);

export interface Moved {
  t5: number;
  t6: number;
  toNode?: string;
}

export interface MoveWatchDeps {
  port: SwarmPort;
  inventory: SwarmInventory;
  clock: Clock;
  events: ClockedEvents;
  options: ControllerOptions;
  /** Called once, when the replacement is ready and swarm has ordered the old task to shut down. */
  onOldTaskReleased?: () => void;
}

/**
 * T5: a new task of the alerting task's slot healthy on another node; T6: the old task shut down.
 * Past the deadline it only throws: what to do about a replacement still on its way is the
 * clean-up's to decide (placement-restore.ts), since a rollback here could stop the original.
 */
export async function awaitMove(
  deps: MoveWatchDeps,
  req: MigrationRequest,
  old: TaskInfo | undefined,
  before: ReadonlySet<string>,
  t4: number,
): Promise<Moved> {
  const o = deps.options;
  const deadline = t4 + o.migrationTimeoutMs;
  const slot = old?.slot;
  let t5: number | undefined;
  let t6: number | undefined;
  let toNode: string | undefined;
  let released = false;
  for (;;) {
    const [tasks, svc] = await Promise.all([deps.port.listTasks(req.service), deps.port.inspectService(req.service)]);
    if (t5 === undefined) {
      // Same slot: a replica that other causes replaced meanwhile (a restart elsewhere) is not our move.
      for (const t of tasks.filter((x) => !before.has(x.id) && isLive(x) && (slot === undefined || x.slot === slot))) {
        const node = await deps.inventory.hostnameOf(t.nodeId);
        if (node && node !== req.fromNode) {
          toNode = node;
          // swarm reports a task with a HEALTHCHECK as `starting` until it is healthy (moby#24545)
          t5 = deps.events.event('replacement_ready', { ...ids(req), action: 'migrate', toNode, newTaskId: t.id, slot: t.slot ?? null }).t;
          break;
        }
      }
    }
    if (t6 === undefined) {
      const now = tasks.find((t) => (old ? t.id === old.id : isAlertTask(t, req)));
      if (t5 !== undefined && !released && now && now.desiredState !== 'running' && !TERMINAL_TASK_STATES.has(now.state)) {
        released = true;
        deps.onOldTaskReleased?.();
      }
      if (!now || TERMINAL_TASK_STATES.has(now.state)) {
        t6 = deps.events.event('old_task_removed', {
          ...ids(req),
          action: 'migrate',
          fromNode: req.fromNode,
          taskId: now?.id ?? old?.id ?? req.taskId,
          taskState: now?.state ?? 'gone',
          beforeReplacement: t5 === undefined,
        }).t;
      }
    }
    if (t5 !== undefined && t6 !== undefined) return { t5, t6, toNode };
    if (svc.updateState && FAILED_UPDATE_STATES.has(svc.updateState)) {
      throw new ActionFailure(`swarm update ${svc.updateState}: ${svc.updateMessage ?? 'no message'}`);
    }
    const now = deps.clock.now();
    if (now >= deadline) {
      throw new ActionFailure(
        `timeout: ${t5 === undefined ? 'no healthy task on another node' : `old task not shut down on ${req.fromNode}`} ` +
          `after ${Math.round(now - t4)} ms (limit ${o.migrationTimeoutMs} ms), update ${svc.updateState ?? 'status unknown'}`,
      );
    }
    await deps.clock.sleep(o.pollMs);
  }
}
