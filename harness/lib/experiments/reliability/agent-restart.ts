import type { ClockOffset } from '../../config/types.ts';
import type { ExperimentContext, IterationResult } from '../context.ts';
import { AgentRestartRun } from './agent-restart-run.ts';
import { defineExperiment } from '../experiment.ts';

export { ALERT_RESUME_POLLS, dockerTime } from './agent-restart-run.ts';

/**
 * Agent restart: the agent container on the app task's node is killed with SIGKILL and
 * the task is CPU-stressed at once. Swarm restarts the agent; measured from the kill to the new
 * agent's `agent_started` line, and from that line to the manager's first report and first alert
 * (T2) from the node. The alert must arrive within 3 poll intervals and lead to a migration.
 */
export async function agentRestartIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const run = await AgentRestartRun.prepare(ctx, iteration, offsets);
  await run.startProbes();
  try {
    await run.killAgent();
    await run.awaitNewAgent();
    await run.awaitReports();
    await run.awaitAlert();
    await run.awaitMigration();
  } catch (err) {
    run.error = (err as Error).message;
  } finally {
    await run.rollback();
  }
  return run.finish();
}

export const agentRestart = defineExperiment({
  name: 'agent-restart',
  title: 'agent restart: a killed agent comes back and its alerts flow again',
  variants: [{ label: 'agent SIGKILL under CPU stress', run: (ctx, i, o) => agentRestartIteration(ctx, i, o) }],
  thresholds: [
    { name: 'agent-restart-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'Agent restart: the migration after it loses no request' },
    { name: 'agent-restart-one-migration', metric: 'migrations', op: '==', limit: 1, description: "Agent restart: the restarted agent's alert leads to exactly one migration" },
    { name: 'agent-restart-no-node-failure', metric: 'node_failures_detected', op: '==', limit: 0, description: "Agent restart: the agent's silence alone is not taken for a failed node (its ports answer)" },
  ],
});
