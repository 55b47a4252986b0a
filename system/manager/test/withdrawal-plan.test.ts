import { describe, expect, it } from 'vitest';
import type { TaskInfo } from '../src/swarm-port.ts';
import { planWithdrawal, relaxIsSafe } from '../src/withdrawal-plan.ts';

const task = (id: string, slot: number | undefined, state: string, nodeId: string, desiredState = 'running'): TaskInfo => ({
  id,
  serviceId: 'svc',
  nodeId,
  slot,
  state,
  desiredState,
});

describe('planWithdrawal', () => {
  it('a replacement not running yet beside a running task of its slot is withdrawn, by excluding its node', () => {
    const plan = planWithdrawal([
      task('orig', 1, 'running', 'n3'),
      task('repl', 1, 'starting', 'n1'),
      task('other', 2, 'running', 'n2'),
    ]);
    expect(plan.withdraw.map((t) => t.id)).toEqual(['repl']);
    expect(plan.keep.map((t) => t.id)).toEqual(['orig']);
    expect(plan.excludeNodeIds).toEqual(['n1']);
    expect(relaxIsSafe(plan)).toBe(false);
  });

  it('swarm may still mean a replacement to run at desired state `ready`; an unassigned one needs no exclusion', () => {
    const plan = planWithdrawal([task('orig', 1, 'running', 'n3'), task('repl', 1, 'pending', '', 'ready')]);
    expect(plan.withdraw.map((t) => t.id)).toEqual(['repl']);
    expect(plan.excludeNodeIds).toEqual([]);
    expect(relaxIsSafe(plan)).toBe(true);
  });

  it('nothing to withdraw: a lone replacement (the original is gone), two running tasks, tasks already told to stop, global tasks', () => {
    expect(planWithdrawal([task('orig', 1, 'shutdown', 'n3', 'shutdown'), task('repl', 1, 'starting', 'n1')]).withdraw).toEqual([]);
    expect(planWithdrawal([task('orig', 1, 'running', 'n3'), task('repl', 1, 'running', 'n1')]).withdraw).toEqual([]);
    expect(planWithdrawal([task('orig', 1, 'running', 'n3'), task('repl', 1, 'starting', 'n1', 'shutdown')]).withdraw).toEqual([]);
    expect(planWithdrawal([task('orig', 1, 'running', 'n3'), task('repl', 1, 'failed', 'n1')]).withdraw).toEqual([]);
    expect(planWithdrawal([task('g1', undefined, 'running', 'n1'), task('g2', undefined, 'starting', 'n2')]).withdraw).toEqual([]);
    expect(relaxIsSafe(planWithdrawal([]))).toBe(true);
  });
});
