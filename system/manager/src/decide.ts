import { evaluate, type Rules } from '../../shared/rules.ts';
import type { Alert } from '../../shared/alert-schema.ts';
import type { ActionKind, Decision, DecisionState, IgnoreReason } from './types.ts';

const ignore = (reason: IgnoreReason, detail: string): Decision => ({ kind: 'ignore', reason, detail });

function describeMatch(rules: Rules, alert: Alert): string {
  const { cpu, mem, net } = alert.m;
  if (alert.scenario === 'scenario1_migration') {
    const r = rules.scenario1_migration;
    return `cpu ${cpu} (>${r.cpu_threshold}) or mem ${mem} (>${r.memory_threshold}), net ${net} < ${r.network_threshold_max}`;
  }
  const r = rules.scenario2_scaling;
  return `cpu ${cpu} (>${r.cpu_threshold}) or mem ${mem} (>${r.memory_threshold}), net ${net} > ${r.network_threshold_min}`;
}

/**
 * What to do about one alert. Pure: the caller gathers the state (swarm inventory, breach counter,
 * cooldowns, in-flight actions and, for the final decision, the alert's task as the swarm sees it).
 * Checks run cheapest and most certain first; the first that fails names the reason.
 */
export function decide(rules: Rules, alert: Alert, state: DecisionState, now: number): Decision {
  if (!state.service) return ignore('unknown_service', `no service ${alert.service} in the swarm`);
  if (!state.managed) return ignore('unmanaged_service', `${alert.service} is not in manager.services`);
  if (!state.nodeKnown) return ignore('unknown_node', `no node ${alert.node} in the swarm`);

  // The agent's claim is re-checked: an alert whose metrics do not match its scenario is not acted on.
  const matched = evaluate(rules, alert.m);
  if (matched !== alert.scenario) {
    return ignore('rule_mismatch', `metrics match ${matched ?? 'no scenario'}, alert says ${alert.scenario}`);
  }

  const required = rules[alert.scenario].consecutive_breaches;
  if (state.breaches < required) {
    return ignore('waiting_breach', `${state.breaches} of ${required} consecutive breaches`);
  }

  const kind: ActionKind = alert.scenario === 'scenario1_migration' ? 'migrate' : 'scale_up';
  if (state.inFlight) {
    return ignore('locked', `${state.inFlight.kind} ${state.inFlight.actionId} in progress on ${alert.service}`);
  }
  const until = state.cooldownUntil[kind];
  if (until !== undefined && now < until) {
    return ignore('cooldown', `${kind} cooling down on ${alert.service} for ${Math.ceil(until - now)} ms more`);
  }

  // A global service has one task per node: a migration cannot move it, a scale-up cannot add one.
  if (state.service.replicas === null) return ignore('not_replicated', `${alert.service} is a global service`);
  if (kind === 'scale_up') {
    const replicas = state.service.replicas;
    const max = rules.scenario2_scaling.max_replicas;
    if (replicas >= max) return ignore('max_replicas', `${replicas} replicas, max_replicas ${max}`);
  } else if (state.possibleTargets < 1) {
    return ignore('no_target', `no Ready, Active node other than ${alert.node} fits ${alert.service}`);
  }

  if (state.task) {
    const t = state.task;
    if (!t.found) return ignore('stale', `task ${alert.task || alert.container} no longer exists`);
    if (t.node !== alert.node) return ignore('stale', `task is on ${t.node ?? 'no node'}, alert says ${alert.node}`);
    if (t.state !== 'running' || t.desiredState !== 'running') {
      return ignore('stale', `task is ${t.state} (desired ${t.desiredState}), not running`);
    }
    const grace = rules.scenario1_migration.startup_grace_s * 1000;
    if (kind === 'migrate' && t.since !== undefined && now - t.since < grace) {
      return ignore('warming_up', `task started running ${Math.round(now - t.since)} ms ago, within startup_grace_s ${rules.scenario1_migration.startup_grace_s}`);
    }
  }

  return { kind, reason: describeMatch(rules, alert) };
}
