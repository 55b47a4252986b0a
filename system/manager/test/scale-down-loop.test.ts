import { describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../shared/alert-schema.ts';
import { alertFor, setup } from './helpers.ts';

const m = (cpu: number, mem: number) => ({ cpu, mem, mem_mb: 100, net: 1, rx: 0, tx: 0 });

/** Every running replica of web-stress reports the given usage, from its own node. */
function reportAll(h: ReturnType<typeof setup>, usage: (i: number) => ReturnType<typeof m>) {
  h.swarm.liveTasks('web-stress').forEach((task, i) => {
    const entry: ReportEntry = { service: 'web-stress', container: (task.containerId ?? '').slice(0, 12), task: task.id, m: usage(i) };
    h.manager.handleReport({ node: h.swarm.hostOf(task)!, t: h.clock.now(), containers: [entry] }, h.clock.now());
  });
}

/** Runs the loop for `seconds`, one tick a second, with fresh reports before every tick. */
async function runFor(h: ReturnType<typeof setup>, seconds: number, usage: (i: number) => ReturnType<typeof m>) {
  for (let s = 0; s < seconds; s += 1) {
    reportAll(h, usage);
    await h.scaleDown.tick();
    h.clock.t += 1000;
  }
}

const YAML = 'scenarios: {scenario2_scaling: {scale_down_cooldown: 10, min_replicas: 1}}\nmanager: {services: [web-stress]}';

describe('scale-down loop', () => {
  it('removes one replica after the load fits in fewer replicas for scale_down_cooldown, one step at a time', async () => {
    const h = setup({ on: ['worker-1', 'worker-2', 'worker-3'], yaml: YAML });
    await runFor(h, 10, () => m(20, 20));
    expect(h.named('action_started')).toHaveLength(0); // 10 s of idle not yet reached at the 10th tick (0..9 s)
    await runFor(h, 1, () => m(20, 20));
    expect(h.named('action_started')).toHaveLength(1);
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(2);
    // the next step needs another full period
    await runFor(h, 10, () => m(20, 20));
    expect(h.named('action_started')).toHaveLength(1);
    await runFor(h, 2, () => m(20, 20));
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(1);
    // never below min_replicas
    await runFor(h, 30, () => m(0, 0));
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(1);
    expect(h.named('action_completed').map((e) => e.replicas)).toEqual([2, 1]);
    expect(h.scaleDown.statuses()[0]).toMatchObject({ state: 'at_min_replicas' });
  });

  it('formula boundary: total cpu exactly threshold × (replicas − 1) is not idle, just below is', async () => {
    // 2 replicas, threshold 75: fits when total < 75
    const busy = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    await runFor(busy, 15, () => m(37.5, 1)); // total 75.0
    expect(busy.named('action_started')).toHaveLength(0);
    expect(busy.scaleDown.statuses()[0]).toMatchObject({ state: 'busy' });

    const idle = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    await runFor(idle, 15, () => m(37.49, 1)); // total 74.98
    expect(idle.named('action_started')).toHaveLength(1);
  });

  it('memory counts too: low cpu with memory at the boundary blocks', async () => {
    const h = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    await runFor(h, 15, () => m(1, 40)); // mem total 80 = 80 × 1
    expect(h.named('action_started')).toHaveLength(0);
  });

  it('consecutive_breaches busy ticks restart the idle timer; a single one is a blip', async () => {
    const h = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    await runFor(h, 8, () => m(10, 10));
    await runFor(h, 2, () => m(60, 10)); // total 120 ≥ 75, two ticks in a row (consecutive_breaches 2)
    await runFor(h, 8, () => m(10, 10));
    expect(h.named('action_started')).toHaveLength(0);
    await runFor(h, 3, () => m(10, 10));
    expect(h.named('action_started')).toHaveLength(1);

    const blip = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    await runFor(blip, 5, () => m(10, 10));
    await runFor(blip, 1, () => m(60, 10)); // one busy tick: the idle period goes on
    expect(blip.scaleDown.statuses()[0]).toMatchObject({ state: 'idle', idleForMs: 5000 });
    await runFor(blip, 5, () => m(10, 10));
    expect(blip.named('action_started')).toHaveLength(1);
    // but a busy tick never scales down, even past the cooldown
    const late = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    await runFor(late, 10, () => m(10, 10));
    await runFor(late, 1, () => m(60, 10));
    expect(late.named('action_started')).toHaveLength(0);
  });

  it('a scale-up between two ticks restarts the idle timer: the new replica gets a full period', async () => {
    // seen on the lab: with check_interval 5 s a 1.7 s scale-up fell between ticks, and the idle time
    // counted at 2 replicas removed the third replica 21 s after it came (scale_down_cooldown 30 s)
    const h = setup({ on: ['worker-1', 'worker-2'], yaml: 'scenarios: {scenario2_scaling: {scale_down_cooldown: 10, scale_up_cooldown: 0}}\nmanager: {services: [web-stress]}' });
    await runFor(h, 8, () => m(10, 10));
    await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now());
    await h.manager.idle();
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(3);
    await runFor(h, 9, () => m(10, 10));
    expect(h.named('action_started').filter((e) => e.action === 'scale_down')).toHaveLength(0);
    await runFor(h, 3, () => m(10, 10));
    expect(h.named('action_started').filter((e) => e.action === 'scale_down')).toHaveLength(1);
  });

  it('no reports, or fewer reports than replicas, means no scale-down', async () => {
    const h = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    for (let s = 0; s < 20; s += 1) {
      await h.scaleDown.tick();
      h.clock.t += 1000;
    }
    expect(h.scaleDown.statuses()[0]).toMatchObject({ state: 'no_reports' });
    // only one of the two replicas reports (its agent is down): the sum would be too low to trust
    for (let s = 0; s < 20; s += 1) {
      const task = h.swarm.liveTasks('web-stress')[0]!;
      h.manager.handleReport({ node: h.swarm.hostOf(task)!, t: h.clock.now(), containers: [{ service: 'web-stress', container: task.containerId!.slice(0, 12), task: task.id, m: m(1, 1) }] }, h.clock.now());
      await h.scaleDown.tick();
      h.clock.t += 1000;
    }
    expect(h.scaleDown.statuses()[0]).toMatchObject({ state: 'incomplete_reports' });
    expect(h.named('action_started')).toHaveLength(0);
    expect(h.named('scale_down_check').map((e) => e.state)).toEqual(['no_reports', 'incomplete_reports']);
  });

  it('reports older than metrics_ttl_polls × poll_interval expire', async () => {
    const h = setup({ on: ['worker-1', 'worker-2'], yaml: YAML });
    reportAll(h, () => m(1, 1));
    h.clock.t += 3001; // default 3 polls of 1 s
    await h.scaleDown.tick();
    expect(h.scaleDown.statuses()[0]).toMatchObject({ state: 'no_reports' });
  });

  it('watches services the manager scaled up even when manager.services is not set', async () => {
    const h = setup({ yaml: 'scenarios: {scenario2_scaling: {scale_down_cooldown: 5, scale_up_cooldown: 0}}' });
    await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now());
    await h.manager.idle();
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(2);
    await runFor(h, 8, () => m(5, 5));
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(1);
    expect(h.swarm.liveTasks('web-stress')).toHaveLength(1);
  });
});
