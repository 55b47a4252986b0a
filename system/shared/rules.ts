import type { ContainerMetrics, ScenarioName } from './types.ts';

export interface Scenario1Rules {
  cpu_threshold: number;
  memory_threshold: number;
  network_threshold_max: number;
  consecutive_breaches: number;
  cooldown_period: number;
  /** Seconds after a task starts running during which no migration alert for it is acted on. */
  startup_grace_s: number;
}

export interface Scenario2Rules {
  cpu_threshold: number;
  memory_threshold: number;
  network_threshold_min: number;
  consecutive_breaches: number;
  scale_up_cooldown: number;
  scale_down_cooldown: number;
  min_replicas: number;
  max_replicas: number;
}

export interface Rules {
  scenario1_migration: Scenario1Rules;
  scenario2_scaling: Scenario2Rules;
}

type Usage = Pick<ContainerMetrics, 'cpu' | 'mem' | 'net'>;

/**
 * The rule of DESIGN.md §3: which scenario a sample matches, or null.
 * High CPU or memory with little network means the container or node is at fault (migrate);
 * with much network it is real traffic (scale). Between the two network thresholds: nothing.
 */
export function evaluate(rules: Rules, m: Usage): ScenarioName | null {
  const s1 = rules.scenario1_migration;
  if ((m.cpu > s1.cpu_threshold || m.mem > s1.memory_threshold) && m.net < s1.network_threshold_max) {
    return 'scenario1_migration';
  }
  const s2 = rules.scenario2_scaling;
  if ((m.cpu > s2.cpu_threshold || m.mem > s2.memory_threshold) && m.net > s2.network_threshold_min) {
    return 'scenario2_scaling';
  }
  return null;
}

export function consecutiveBreachesFor(rules: Rules, scenario: ScenarioName): number {
  return rules[scenario].consecutive_breaches;
}

/**
 * Scale-down test of DESIGN.md §2.3: the load of all replicas would fit in one replica fewer,
 * for both CPU and memory, i.e. total < threshold × (replicas − 1).
 */
export function fitsInFewerReplicas(
  rules: Scenario2Rules,
  totals: { cpu: number; mem: number },
  replicas: number,
): boolean {
  if (replicas <= rules.min_replicas || replicas <= 1) return false;
  const room = replicas - 1;
  return totals.cpu < rules.cpu_threshold * room && totals.mem < rules.memory_threshold * room;
}
