/**
 * The manager's narrow view of the Docker Swarm API. The dockerode adapter implements it for a real
 * swarm; unit tests use an in-memory fake. Shapes are the Engine API's (API 1.41), trimmed.
 */

export interface PlacementSpec {
  Constraints?: string[];
  [key: string]: unknown;
}

export interface UpdateConfigSpec {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'pause' | 'continue' | 'rollback';
  Monitor?: number; // nanoseconds
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface TaskTemplateSpec {
  Placement?: PlacementSpec;
  ForceUpdate?: number;
  [key: string]: unknown;
}

/** The `Spec` of a service as inspected; sent back whole on update. */
export interface ServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate?: TaskTemplateSpec;
  Mode?: { Replicated?: { Replicas?: number }; Global?: Record<string, never>; [key: string]: unknown };
  UpdateConfig?: UpdateConfigSpec;
  [key: string]: unknown;
}

export interface ServiceInfo {
  id: string;
  name: string;
  /** `Version.Index`, required by the update call (optimistic concurrency). */
  version: number;
  spec: ServiceSpec;
  /** `UpdateStatus.State`: updating, paused, completed, rollback_started, rollback_paused, rollback_completed. */
  updateState?: string;
  updateMessage?: string;
}

export interface TaskInfo {
  id: string;
  serviceId: string;
  nodeId: string;
  slot?: number;
  /** `Status.State`: new … starting, running, complete, shutdown, failed, rejected, orphaned, remove. */
  state: string;
  desiredState: string;
  containerId?: string;
  /** Epoch ms of `Status.Timestamp`: when the task reached its current state. */
  since?: number;
  message?: string;
  error?: string;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** `Status.State`: ready, down, unknown, disconnected. */
  state: string;
  /** The node's address as swarm knows it (`Status.Addr`): where its published ports are probed. */
  addr?: string;
  /** `Spec.Availability`: active, pause, drain. */
  availability: string;
  labels: Record<string, string>;
  engineLabels: Record<string, string>;
  os?: string;
  arch?: string;
}

/**
 * There is no `rollback=previous` here on purpose: while a start-first replacement has not started,
 * a rollback may keep it and stop the running original (withdrawal-plan.ts).
 */
export interface SwarmPort {
  listServices(): Promise<ServiceInfo[]>;
  /** By id or name; rejects when the service does not exist. */
  inspectService(idOrName: string): Promise<ServiceInfo>;
  /** `POST /services/{id}/update?version=…` with the whole spec. Rejects with the daemon's message. */
  updateService(id: string, version: number, spec: ServiceSpec): Promise<void>;
  /** All tasks of a service (by id or name), any state. */
  listTasks(service: string): Promise<TaskInfo[]>;
  listNodes(): Promise<NodeInfo[]>;
}

/** Task states after which the task's container is stopped for good. */
export const TERMINAL_TASK_STATES: ReadonlySet<string> = new Set([
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'orphaned',
  'remove',
]);

/** The daemon's answer when the spec changed between our inspect and our update. */
export function isOutOfSequence(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /update out of sequence/i.test(text);
}
