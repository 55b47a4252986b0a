import type { ClockOffset } from '../../config/types.ts';
import type { ExperimentContext, IterationResult } from '../context.ts';
import { ManagerRestartRun } from './manager-restart-run.ts';
import { defineExperiment } from '../experiment.ts';

/**
 * Manager restart: CPU stress on the app's task; once the manager has logged T4 and swarm took its
 * temporary node.hostname constraint, the manager's container is killed (SIGKILL) while the rollout runs
 * (before T6). Swarm restarts it; its start-up reconciliation must hold the service, wait for the
 * rollout and remove the temporary constraint. The alert of the interrupted migration is replayed at
 * the new manager while it reconciles: it must not start a second move. Measured: manager back,
 * reconciliation done, and the service's end state (one task on a Ready node other than the
 * stressed one, no `node.hostname` constraint, no forced update: a migration moves one task only).
 */
export async function managerRestartIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const run = await ManagerRestartRun.prepare(ctx, iteration, offsets);
  await run.startProbes();
  try {
    const t4 = await run.stressUntilT4();
    await run.killManager(t4);
    await run.awaitManagerBack();
    await run.replayAlert();
    await run.awaitReconciliation(t4);
    await run.watchForSecondMove();
  } catch (err) {
    run.errors.push((err as Error).message);
  } finally {
    await run.rollback();
  }
  return run.finish();
}

export const managerRestart = defineExperiment({
  name: 'manager-restart',
  title: 'manager restart mid-migration: one move, one task on a healthy node, no constraint left',
  variants: [{ label: 'manager SIGKILL mid-migration', run: (ctx, i, o) => managerRestartIteration(ctx, i, o) }],
  thresholds: [
    { name: 'manager-restart-no-forced-update', metric: 'forced_updates', op: '==', limit: 0, description: 'Manager restart: reconciling forces no update' },
    { name: 'manager-restart-no-second-migration', metric: 'second_migrations', op: '==', limit: 0, description: 'Manager restart: the restarted manager starts no second migration' },
    { name: 'manager-restart-replayed', metric: 'replay_alerts', op: '==', limit: 1, description: "Manager restart: the interrupted action's alert is replayed to the restarted manager (which must refuse it: checked by the iteration)" },
  ],
});
