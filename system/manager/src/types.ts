import type { ScenarioName } from '../../shared/types.ts';

/** evacuate: the replicated tasks of a failed node moved off it (node-failure detection). */
export type ActionKind = 'migrate' | 'scale_up' | 'scale_down' | 'evacuate';

export type IgnoreReason =
  | 'unknown_service'
  | 'unmanaged_service'
  | 'unknown_node'
  | 'rule_mismatch'
  | 'waiting_breach'
  | 'locked'
  | 'cooldown'
  | 'max_replicas'
  | 'not_replicated'
  | 'duplicate'
  | 'no_target'
  | 'stale'
  | 'warming_up'
  | 'swarm_error';

export type Decision =
  | { kind: 'migrate' | 'scale_up'; reason: string }
  | { kind: 'ignore'; reason: IgnoreReason; detail: string };

/** What the stale check found for the alert's task (looked up in the swarm by the controller). */
export interface TaskLookup {
  found: boolean;
  /** Hostname of the node the task is on. */
  node?: string;
  state?: string;
  desiredState?: string;
  /** Epoch ms since when the task has been in its current state (running: since it started). */
  since?: number;
}

/** Everything `decide` needs to know about the world, gathered by the caller. */
export interface DecisionState {
  /** Undefined when the swarm has no such service. */
  service?: { id: string; name: string; replicas: number | null };
  /** False when the service exists but is not in `manager.services`. */
  managed: boolean;
  nodeKnown: boolean;
  /** The action in flight on this service, if any. */
  inFlight?: { actionId: string; kind: ActionKind };
  /** Epoch ms until which each action is cooling down on this service. */
  cooldownUntil: Partial<Record<ActionKind, number>>;
  /** Breach samples counted for the alert's container and scenario, the alert included. */
  breaches: number;
  /** Nodes a migration could go to (Ready, Active, not the source, constraints allow). */
  possibleTargets: number;
  /** Undefined before the swarm was asked; the stale branch is then not evaluated yet. */
  task?: TaskLookup;
}

export interface InFlightAction {
  actionId: string;
  kind: ActionKind;
  service: string;
  alertId?: string;
  startedAt: number;
}

export type { ScenarioName };
