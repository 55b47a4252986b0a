import type { ClockOffset } from '../../types.ts';
import type { ExperimentContext, IterationResult } from '../context.ts';
import { AgentRestartRun } from './agent-restart-run.ts';

export { ALERT_RESUME_POLLS, dockerTime } from './agent-restart-run.ts';

/**
 * Agent restart: the agent container on the app task's node is killed with SIGKILL and
 * the task is CPU-stressed at once. Swarm restarts the agent; measured from the kill to the new
 * agent's `agent_started` line, and from that line to the manager's first report and first alert
 * (T2) from the node. The alert must arrive within 3 poll intervals and lead to a migration.
 */
export async function agentRestartIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const run = await AgentRestartRun.prepare(ctx, iteration, offsets);
  run.probe.start();
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
