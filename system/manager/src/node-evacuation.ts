import { ActionFailure, ids, isLive, round, startFirstUpdate, type ActionContext, type ControllerOptions } from './action-context.ts';
import type { Clock } from './clock.ts';
import type { ClockedEvents } from './clocked-events.ts';
import { constraintsOf, labelList, normalize, withPlacement } from './placement.ts';
import { updateWithRetry } from './service-updater.ts';
import type { SwarmInventory } from './swarm-inventory.ts';
import type { ServiceSpec, SwarmPort, TaskInfo } from './swarm-port.ts';

/**
 * The service label listing the failed nodes the manager excluded (`node.hostname!=<node>`). Kept
 * apart from a migration's temporary constraints: a migration's clean-up and the leftover sweep
 * remove those, and must leave a failed node excluded until it is back.
 */
export const EVACUATED_LABEL = 'swarmguard.evacuated-nodes';

const exclusion = (node: string) => `node.hostname!=${node}`;

export function evacuatedNodes(spec: ServiceSpec): string[] {
  return labelList(spec, EVACUATED_LABEL).filter((n) => n !== '');
}

function withEvacuated(spec: ServiceSpec, nodes: string[]): ServiceSpec {
  const before = new Set(evacuatedNodes(spec).map(exclusion));
  const constraints = [...constraintsOf(spec).filter((c) => !before.has(normalize(c))), ...nodes.map(exclusion)];
  const labels = { ...(spec.Labels ?? {}) };
  if (nodes.length > 0) labels[EVACUATED_LABEL] = JSON.stringify(nodes);
  else delete labels[EVACUATED_LABEL];
  return withPlacement(spec, constraints, labels);
}

/** `spec` with `node` excluded and recorded; null when it already is. */
export function excludeNode(spec: ServiceSpec, node: string): ServiceSpec | null {
  const nodes = evacuatedNodes(spec);
  return nodes.includes(node) ? null : withEvacuated(spec, [...nodes, node]);
}

/** `spec` without the manager's exclusion of `node`; null when there is none. */
export function readmitNode(spec: ServiceSpec, node: string): ServiceSpec | null {
  const nodes = evacuatedNodes(spec);
  return nodes.includes(node) ? withEvacuated(spec, nodes.filter((n) => n !== node)) : null;
}

export interface EvacuationRequest extends ActionContext {
  node: string;
  nodeId: string;
}

export interface EvacuationDeps {
  port: SwarmPort;
  inventory: SwarmInventory;
  clock: Clock;
  events: ClockedEvents;
  options: () => ControllerOptions;
}

/**
 * Moves a service's tasks off a failed node: the node excluded by a constraint, start-first, every
 * task of the node at once. Swarm's updater starts each replacement without waiting for the old
 * task to stop, which on a dead node would not happen before swarm marks it Down; draining the node
 * would wait for exactly that (README, "Node failure"). T5 is every slot of the node running again
 * elsewhere; there is no T6, the old task went with its node. The exclusion stays when this fails:
 * the node is still failed, and `readmit` lifts it once the node is back.
 */
export async function evacuate(deps: EvacuationDeps, req: EvacuationRequest): Promise<void> {
  const o = deps.options();
  const before = await deps.port.listTasks(req.service);
  const stranded = before.filter((t) => t.nodeId === req.nodeId && t.desiredState === 'running');
  if (stranded.length === 0) throw new ActionFailure(`no task of ${req.service} is meant to run on ${req.node} any more`);
  const constraint = exclusion(req.node);
  let t4: number | undefined;
  const outcome = await updateWithRetry(
    deps.port,
    deps.clock,
    req.service,
    (spec) => {
      if (!spec.Mode?.Replicated) throw new ActionFailure(`${req.service} is not a replicated service: swarm keeps its task on ${req.node}`);
      const next = excludeNode(spec, req.node) ?? spec;
      // every task of the node at once: they are all down already
      next.UpdateConfig = startFirstUpdate(next.UpdateConfig, o, stranded.length);
      return next;
    },
    {
      attempts: o.updateAttempts,
      beforeFirstCall: () => {
        t4 = deps.events.event('action_started', {
          ...ids(req),
          action: 'evacuate',
          fromNode: req.node,
          constraints: [constraint],
          tasks: stranded.map((t) => t.id),
          slots: stranded.map((t) => t.slot ?? null),
        }).t;
      },
      onRetry: (attempt, error) => deps.events.event('update_retry', { ...ids(req), attempt, error: error.message }),
    },
  );
  if (!outcome) throw new ActionFailure('nothing to update');
  const start = t4 ?? deps.clock.now();
  const ready = await awaitReplacements(deps, req, stranded, new Set(before.map((t) => t.id)), start);
  deps.events.event('action_completed', {
    ...ids(req),
    action: 'evacuate',
    fromNode: req.node,
    toNode: ready.toNodes[0],
    toNodes: ready.toNodes,
    updateAttempts: outcome.attempts,
    durations: { t4_t5: round(ready.t5 - start), total: round(deps.clock.now() - start) },
  });
}

async function awaitReplacements(
  deps: EvacuationDeps,
  req: EvacuationRequest,
  stranded: TaskInfo[],
  before: ReadonlySet<string>,
  t4: number,
): Promise<{ t5: number; toNodes: string[] }> {
  const o = deps.options();
  const waiting = new Set(stranded.map((t) => t.slot));
  const toNodes: string[] = [];
  let t5 = t4;
  for (;;) {
    const tasks = await deps.port.listTasks(req.service);
    for (const t of tasks) {
      if (before.has(t.id) || !isLive(t) || t.nodeId === req.nodeId || !waiting.has(t.slot)) continue;
      waiting.delete(t.slot);
      const node = (await deps.inventory.hostnameOf(t.nodeId)) ?? t.nodeId;
      toNodes.push(node);
      t5 = deps.events.event('replacement_ready', { ...ids(req), action: 'evacuate', fromNode: req.node, toNode: node, newTaskId: t.id, slot: t.slot ?? null }).t;
    }
    if (waiting.size === 0) return { t5, toNodes };
    const now = deps.clock.now();
    if (now - t4 >= o.migrationTimeoutMs) {
      throw new ActionFailure(`timeout: ${waiting.size} of ${stranded.length} tasks of ${req.node} not running elsewhere after ${Math.round(now - t4)} ms (limit ${o.migrationTimeoutMs} ms)`, {
        details: { fromNode: req.node, exclusionKept: true },
      });
    }
    await deps.clock.sleep(o.pollMs);
  }
}
