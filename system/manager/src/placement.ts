import type { NodeInfo, ServiceSpec } from './swarm-port.ts';

/**
 * The service label in which the manager records the placement constraints it added for a
 * migration, so that it removes exactly those (never a user's own `node.hostname!=…`) and never
 * accumulates them, even across manager restarts.
 */
export const TEMP_CONSTRAINTS_LABEL = 'swarmguard.temporary-constraints';

/**
 * The migration in flight, written with its constraint and removed with it: a manager that died in
 * between knows, on its next start, which action it cut short (`<actionId>`), and logs it.
 */
export const ACTION_LABEL = 'swarmguard.action-in-flight';

export function actionInFlight(spec: ServiceSpec): string | undefined {
  const raw = spec.Labels?.[ACTION_LABEL];
  return raw && /^[\w.:-]{1,128}$/.test(raw) ? raw : undefined;
}

export function temporaryConstraints(spec: ServiceSpec): string[] {
  return labelList(spec, TEMP_CONSTRAINTS_LABEL);
}

/** The strings a manager label holds as a JSON list; none when absent or not such a list. */
export function labelList(spec: ServiceSpec, label: string): string[] {
  const raw = spec.Labels?.[label];
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

export function constraintsOf(spec: ServiceSpec): string[] {
  return [...(spec.TaskTemplate?.Placement?.Constraints ?? [])];
}

/** The service's constraints without the ones the manager added earlier. */
export function baseConstraints(spec: ServiceSpec): string[] {
  const temp = new Set(temporaryConstraints(spec).map(normalize));
  return constraintsOf(spec).filter((c) => !temp.has(normalize(c)));
}

/** A constraint without blanks, as swarm compares them. */
export function normalize(constraint: string): string {
  return constraint.replace(/\s+/g, '');
}

/**
 * A copy of `spec` whose placement is the base constraints plus `added`, recorded in the label, with
 * the action that added them; no constraints added: both labels removed.
 */
export function withTemporaryConstraints(spec: ServiceSpec, added: string[], actionId?: string): ServiceSpec {
  const base = baseConstraints(spec);
  const labels = { ...(spec.Labels ?? {}) };
  if (added.length > 0) labels[TEMP_CONSTRAINTS_LABEL] = JSON.stringify(added);
  else delete labels[TEMP_CONSTRAINTS_LABEL];
  if (added.length > 0 && actionId !== undefined) labels[ACTION_LABEL] = actionId;
  else delete labels[ACTION_LABEL];
  return withPlacement(spec, [...base, ...added], labels);
}

/** A copy of `spec` with these placement constraints and service labels. */
export function withPlacement(spec: ServiceSpec, constraints: string[], labels: Record<string, string>): ServiceSpec {
  const template = spec.TaskTemplate ?? {};
  return { ...spec, Labels: labels, TaskTemplate: { ...template, Placement: { ...(template.Placement ?? {}), Constraints: constraints } } };
}

/**
 * Whether a node satisfies one swarm placement constraint; `undefined` when the constraint uses an
 * attribute this function does not know (the caller must then not rely on its own choice).
 */
export function nodeSatisfies(node: NodeInfo, constraint: string): boolean | undefined {
  const m = /^\s*([\w.-]+)\s*(==|!=)\s*(.*?)\s*$/.exec(constraint);
  if (!m) return undefined;
  const [, key, op, value] = m as unknown as [string, string, string, string];
  let actual: string | undefined;
  const k = key.toLowerCase();
  if (k === 'node.id') actual = node.id;
  else if (k === 'node.hostname') actual = node.hostname;
  else if (k === 'node.role') actual = node.role;
  else if (k === 'node.platform.os') actual = node.os;
  else if (k === 'node.platform.arch') actual = node.arch;
  else if (key.startsWith('node.labels.')) actual = node.labels[key.slice('node.labels.'.length)];
  else if (key.startsWith('engine.labels.')) actual = node.engineLabels[key.slice('engine.labels.'.length)];
  else return undefined;
  // swarm compares hostnames, roles, os case-insensitively and labels exactly; close enough here
  const equal = k.startsWith('node.labels.') || k.startsWith('engine.labels.') ? actual === value : actual?.toLowerCase() === value.toLowerCase();
  return op === '==' ? equal : !equal;
}

/** true: satisfies all; false: violates one; undefined: cannot tell. */
export function nodeSatisfiesAll(node: NodeInfo, constraints: string[]): boolean | undefined {
  let known = true;
  for (const c of constraints) {
    const ok = nodeSatisfies(node, c);
    if (ok === false) return false;
    if (ok === undefined) known = false;
  }
  return known ? true : undefined;
}

export function isSchedulable(node: NodeInfo): boolean {
  return node.state === 'ready' && node.availability === 'active';
}

/** Nodes a migration away from `from` could land on (unknown constraint attributes count as possible). */
export function possibleTargets(nodes: NodeInfo[], constraints: string[], from: string): NodeInfo[] {
  return nodes.filter((n) => n.hostname !== from && isSchedulable(n) && nodeSatisfiesAll(n, constraints) !== false);
}

export interface NodeLoad {
  /** Sum over the node's reported containers of cpu % and memory %. */
  load: number;
}

/**
 * The least-loaded healthy node for a migration: Ready, Active, not the source, satisfying the
 * service's own constraints for certain, with a fresh agent report (a node whose agent is silent is
 * not known to be healthy). Nodes already running a task of the service come last (host-mode
 * publishing allows one per node). Undefined when no node qualifies for certain.
 */
export function chooseTarget(
  nodes: NodeInfo[],
  constraints: string[],
  from: string,
  loads: ReadonlyMap<string, NodeLoad>,
  occupied: ReadonlySet<string>,
): string | undefined {
  const candidates = nodes
    .filter((n) => n.hostname !== from && isSchedulable(n) && nodeSatisfiesAll(n, constraints) === true)
    .filter((n) => loads.has(n.hostname))
    .sort((a, b) => {
      const occ = Number(occupied.has(a.hostname)) - Number(occupied.has(b.hostname));
      if (occ !== 0) return occ;
      const load = (loads.get(a.hostname)?.load ?? 0) - (loads.get(b.hostname)?.load ?? 0);
      return load !== 0 ? load : a.hostname.localeCompare(b.hostname);
    });
  return candidates[0]?.hostname;
}
