import type { Readable } from 'node:stream';
import type { TimingEvent } from '../config/types.ts';
import type { NodeFaults, TsdbFaults } from './node-faults.ts';
import type { ContainerFilter, EngineEventQuery, EngineVersion, ServiceChange, ServiceView, SwarmNode, SwarmTask, TaskContainer, TaskFilter } from './types.ts';

/** The swarm as its manager shows it, and the service changes the harness makes. */
export interface LabSwarm {
  nodes(): Promise<SwarmNode[]>;
  tasks(filter: TaskFilter): Promise<SwarmTask[]>;
  services(): Promise<ServiceView[]>;
  service(name: string): Promise<ServiceView>;
  /**
   * One read of the service and one update at the version read; a change that alters nothing sends
   * no update. A function gets the service as read, for a change that depends on it. True when an
   * update was sent.
   */
  updateService(name: string, change: ServiceChange | ((current: ServiceView) => ServiceChange)): Promise<boolean>;
  createService(spec: Record<string, unknown>): Promise<void>;
  removeService(idOrName: string): Promise<void>;
}

/** Each node's own engine: the containers of swarm's tasks on it. */
export interface LabNodes {
  /** Whether the harness reaches this node's engine (lab.yaml lists it). */
  hasNode(node: string): boolean;
  containers(node: string, filter: ContainerFilter): Promise<TaskContainer[]>;
  kill(node: string, containerId: string, signal: string): Promise<void>;
  /** When the container last started: RFC 3339 with nanoseconds, by the node's clock. */
  containerStartedAt(node: string, containerId: string): Promise<string>;
  /** The container's whole log, stdout and stderr. */
  logs(node: string, containerId: string): Promise<string>;
  /** The engine's events as they come, one JSON object a line; the engine ends the stream at `until`. */
  engineEvents(node: string, query: EngineEventQuery): Promise<Readable>;
}

/** The faults a lab can make, local or remote; each set is owned by its caller, who closes it. */
export interface LabFaults {
  nodeFaults(): NodeFaults;
  storeFaults(): TsdbFaults;
}

/**
 * The one way experiments reach a lab, local or remote: the swarm through its manager, each node's
 * engine, the faults, and the T-events the agents and the manager logged.
 */
export interface LabPort extends LabSwarm, LabNodes, LabFaults {
  /** The manager's engine. */
  engineVersion(): Promise<EngineVersion>;
  /** T-events logged since `sinceMs` by the given services (default: agents and manager), by the hosts' own clocks. */
  timingEvents(sinceMs: number, services?: string[]): Promise<TimingEvent[]>;
}
