/** Plain data shapes of a lab as the harness sees it through LabPort (lab-port.ts). */

/** A swarm node as the manager lists it. */
export interface SwarmNode {
  id: string;
  hostname: string;
  /** ready, down, unknown … */
  state: string;
  /** active, pause, drain */
  availability: string;
}

/** A swarm task as the manager lists it; the optional fields are absent where swarm has none yet. */
export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  desiredState: string;
  state: string;
  /** RFC 3339, by the manager's clock. */
  createdAt: string;
  /** When the task reached its current state, RFC 3339 by the manager's clock. */
  timestamp?: string;
  /** Swarm's error for a task that ended on its own. */
  err?: string;
  containerId?: string;
  /** The CPU limit the task was created with. */
  nanoCpus?: number;
}

/** Which tasks: of one service, and/or only those swarm wants running. */
export interface TaskFilter {
  service?: string;
  desiredState?: 'running';
}

/** A swarm service: its spec's version and what the harness reads of it. */
export interface ServiceView {
  id: string;
  name: string;
  /** An update names it; any change raises it. */
  version: number;
  /** null for a service that is not replicated (global). */
  replicas: number | null;
  constraints: string[];
  forceUpdate: number;
  image: string;
  /** The container's environment as swarm keeps it, NAME=value. */
  env: string[];
  labels: Record<string, string>;
  /** The rolling update's state; absent when swarm keeps none. */
  updateState?: string;
}

/** What one service update changes; what is left out stays as it is. */
export interface ServiceChange {
  /** Only a replicated service has replicas to set. */
  replicas?: number;
  constraints?: string[];
  /** CPU limit per task. */
  cpus?: number;
  /** Variables to set, or (undefined) to remove. */
  env?: Record<string, string | undefined>;
  /** Replace every task even if nothing else changes. */
  forceUpdate?: boolean;
}

/** Which of a node's containers of swarm tasks: of one service (else of any), running only, or stopped ones too. */
export interface ContainerFilter {
  service?: string;
  running?: boolean;
  all?: boolean;
}

/** A container of a swarm task on one node. */
export interface TaskContainer {
  id: string;
  service: string;
}

/** One container's events of one kind from its node's engine, between two instants (epoch s, that node's clock). */
export interface EngineEventQuery {
  containerId: string;
  event: string;
  since: number;
  until: number;
}

export interface EngineVersion {
  version: string;
  apiVersion: string;
}
