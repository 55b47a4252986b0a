import type { TaskInfo, UpdateConfigSpec } from './swarm-port.ts';

/* What the swarm controller and its helpers share about one action. */

export interface ControllerOptions {
  pollMs: number;
  migrationTimeoutMs: number;
  scaleTimeoutMs: number;
  updateAttempts: number;
  failureAction: 'rollback' | 'pause';
  monitorMs: number;
  /** After a failed migration: how long swarm may take to withdraw an unstarted replacement. */
  withdrawTimeoutMs: number;
  /** Let the old node's agent stop the migrated task once swarm has ordered it (handoff.ts). */
  earlyStop: boolean;
  /** ms between the replacement ready and the hand-off's release. */
  earlyStopDelayMs: number;
}

export interface ActionContext {
  actionId: string;
  alertId?: string;
  service: string;
}

export interface MigrationRequest extends ActionContext {
  fromNode: string;
  /** The task the alert was about (empty: find it by container). */
  taskId: string;
  container: string;
  /**
   * Chosen target (one-replica services only): `node.hostname==target`; otherwise
   * `node.hostname!=fromNode`. With more replicas `==target` would be violated by every replica's node.
   */
  target?: string;
}

export const isLive = (t: TaskInfo) => t.state === 'running' && t.desiredState === 'running';

/** An action that failed; `details` go into its `action_failed` event as they are. */
export class ActionFailure extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.details = options?.details;
  }

  readonly details?: Record<string, unknown>;
}

export function isAlertTask(t: TaskInfo, req: MigrationRequest): boolean {
  return req.taskId ? t.id === req.taskId : t.containerId?.startsWith(req.container) === true;
}

export function ids(ctx: ActionContext) {
  return { actionId: ctx.actionId, service: ctx.service, ...(ctx.alertId ? { alertId: ctx.alertId } : {}) };
}

export const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The update a move sends: start-first (the replacement runs before the old task is stopped), no
 * delay, swarm's monitor window and failure action from the options, no failure tolerated.
 */
export function startFirstUpdate(current: UpdateConfigSpec | undefined, o: ControllerOptions, parallelism: number): UpdateConfigSpec {
  return { ...(current ?? {}), Parallelism: parallelism, Delay: 0, Order: 'start-first', FailureAction: o.failureAction, Monitor: Math.round(o.monitorMs * 1e6), MaxFailureRatio: 0 };
}
