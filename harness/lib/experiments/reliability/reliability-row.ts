import type { Journal } from '../../report/journal.ts';
import type { IterationRecord, ReliabilityRecord } from '../../report/journal-schema.ts';
import { formatMetric } from '../../report/format.ts';

type Notes = (iterations: readonly IterationRecord[]) => string;

const sum = (its: readonly IterationRecord[], key: string) => its.reduce((s, i) => s + (i.measurements[key] ?? 0), 0);
const max = (its: readonly IterationRecord[], key: string) => {
  const vs = its.map((i) => i.measurements[key]).filter((v): v is number => typeof v === 'number');
  return vs.length ? formatMetric(key, Math.max(...vs)) : '—';
};

/** What each reliability experiment injects and measures, for the report's "Reliability" row. */
const NOTES: Record<string, Notes> = {
  'bad-input': (its) =>
    `injected: unauthenticated, wrong-token, malformed, mistyped, oversized, unknown-name and stale requests plus seeded random payloads to the manager, bad query parameters to web-stress, random lab.yaml mutations; ` +
    `measured: ${sum(its, 'bad_inputs_tried')} bad inputs, ${sum(its, 'unexpected_answers')} unexpected answers, ${sum(its, 'swarm_changes')} swarm changes, ${sum(its, 'manager_restarts')} manager restarts`,
  'agent-restart': (its) =>
    `injected: SIGKILL of the agent container on the app task's node, then CPU stress; ` +
    `measured: agent back (kill → agent_started) max ${max(its, 'agent_restart_ms')}, alerts resumed (agent_started → first alert T2) max ${max(its, 'alerts_resume_ms')}, migrations ${sum(its, 'migrations')}, failed requests ${sum(its, 'failed_requests')}, node failures detected ${sum(its, 'node_failures_detected')} (the silence ruled out ${sum(its, 'silence_ruled_out')} times, its ports answering), evacuations ${sum(its, 'evacuations')}`,
  'tsdb-down': (its) =>
    `injected: VictoriaMetrics stopped (SIGTERM) for a whole scenario-1 CPU iteration; ` +
    `measured: MTTR max ${max(its, 'mttr_ms')}, T2−T1 max ${max(its, 't2_t1_ms')}, T3−T2 max ${max(its, 't3_t2_ms')}, failed requests ${sum(its, 'failed_requests')}, task restarts ${sum(its, 'task_restarts')}`,
  concurrent: (its) =>
    `injected: at the same moment CPU stress on web-stress-a, load-generator traffic on web-stress-b, memory stress on web-stress-c (each on its own worker and frontend); ` +
    `measured: MTTR max A ${max(its, 'a_mttr_ms')}, B ${max(its, 'b_mttr_ms')}, C ${max(its, 'c_mttr_ms')}, ` +
    `detection (T0 after the faults) max A ${max(its, 'a_t0_after_faults_ms')}, B ${max(its, 'b_t0_after_faults_ms')}, C ${max(its, 'c_t0_after_faults_ms')}, failed requests A ${sum(its, 'a_failed_requests')}, B ${sum(its, 'b_failed_requests')}, C ${sum(its, 'c_failed_requests')}, ` +
    `actions ${sum(its, 'actions')} (on the wrong service ${sum(its, 'wrong_service_actions')}, failed ${sum(its, 'failed_actions')}), out-of-sequence updates retried ${sum(its, 'out_of_sequence_retried')}, left unhandled ${sum(its, 'out_of_sequence_unhandled')}`,
  'node-failure': (its) =>
    `injected: dockerd of a worker stopped (the app task's node with the manager's node detection off, or another worker with it on), then CPU stress on the live task, then dockerd started again; ` +
    `measured: swarm Down detection max ${max(its, 'swarm_down_ms')}, manager logged it max ${max(its, 'manager_down_ms')}, served again (task's node) max ${max(its, 'recovery_ms')}, ` +
    `failed requests ${sum(its.filter((i) => i.params.failed === 'task-node'), 'failed_requests')} (task's node down, Swarm alone) and ${sum(its.filter((i) => i.params.failed !== 'task-node'), 'failed_requests')} (other node down), migrations ${sum(its, 'migrations')} (${its.filter((i) => i.params.to !== null && i.params.to === i.params.victim).length} onto the dead node), ` +
    `node Ready again max ${max(its, 'rejoin_ms')}, its agent running max ${max(its, 'agent_back_ms')}`,
  'node-detection': (its) =>
    `injected: dockerd of the app task's node stopped, the manager's node-failure detection on, dockerd started again once swarm saw the node Down; ` +
    `measured: manager found it failed max ${max(its, 'detected_ms')} (swarm Down max ${max(its, 'swarm_down_ms')}), evacuated max ${max(its, 'evacuated_ms')}, served again max ${max(its, 'recovery_ms')}, ` +
    `failed requests ${sum(its, 'failed_requests')}, evacuations ${sum(its, 'evacuations')}, exclusion lifted after the restart max ${max(its, 'restored_ms')}, tasks moved by it ${sum(its, 'tasks_moved_by_restore')}`,
  'manager-restart': (its) =>
    `injected: SIGKILL of the manager container after T4, before T6 of a CPU-stress migration, and the migration's alert replayed to the restarted manager; ` +
    `measured: manager back max ${max(its, 'manager_back_ms')}, constraint reconciled max ${max(its, 'reconcile_ms')} after the kill, forced updates ${sum(its, 'forced_updates')} in ${its.length} iterations, ` +
    `second migrations ${sum(its, 'second_migrations')}, failed requests ${sum(its, 'failed_requests')}`,
};

/**
 * Adds (or replaces) the Reliability row of experiment `name` from its iterations in the journal:
 * trials = iterations run, passed = iterations whose outcome is passed.
 */
export async function addReliabilityRow(journal: Journal, name: string): Promise<ReliabilityRecord> {
  const data = journal.toJSON();
  const its = data.iterations.filter((i) => i.experiment === name);
  const row: ReliabilityRecord = {
    name,
    trials: its.length,
    passed: its.filter((i) => i.outcome === 'passed').length,
    notes: NOTES[name]?.(its) ?? `measured: ${its.length} iterations`,
  };
  await journal.setReliability([...(data.reliability ?? []).filter((r) => r.name !== name), row]);
  return row;
}

/** True for the experiments that have a row in the report's Reliability section. */
export function isReliabilityExperiment(name: string): boolean {
  return Object.hasOwn(NOTES, name);
}
