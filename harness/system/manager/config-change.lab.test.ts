/**
 * On the real local lab: a threshold changed in the configuration reaches agent and manager alike,
 * the way an operator changes it under Docker configs (immutable): a new config version and a
 * service update of both (the harness's deploy names each config by its content's hash, as
 * `system/stack.yml` does by `SWARMGUARD_CONFIG_VERSION`). scenario 1's CPU threshold goes from the
 * configured value down to LOWERED; a CPU stress between the two must then be alerted by the agent
 * within consecutive_breaches samples and acted on by the manager (no rule_mismatch, which a manager
 * still on the old threshold would answer; no alert at all from an agent still on it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab, type LabConfig } from '../../lib/config/lab-config.ts';
import { deploySystem } from '../../lib/cluster/deploy.ts';
import { appTasks, pastStartupGrace, resetApp, stopAllStress } from '../../lib/cluster/app-control.ts';
import { AvailabilityProbe } from '../../lib/probe/probe.ts';
import { summarizeDowntime } from '../../lib/probe/downtime.ts';
import { makeContext } from '../../lib/experiments/context.ts';
import { restartManager } from '../../lib/experiments/manager-control.ts';
import { managerEvents } from '../../lib/cluster/manager-api.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import { epochNow, waitActionEvents, waitReportsFromWorkers } from './lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const service = lab.app.service;
const configured = lab.swarmguard.config.scenarios.scenario1_migration.cpu_threshold;
const LOWERED = 50;
/** What the stress aims at, in % of the CPU limit: above LOWERED, well below the configured threshold. */
const STRESS_PCT = Math.round((LOWERED + configured) / 2) - 2;
const pollMs = lab.swarmguard.config.monitoring.poll_interval * 1000;
const figures: Record<string, unknown>[] = [];

function withThreshold(base: LabConfig, cpu: number): LabConfig {
  const next = structuredClone(base);
  next.swarmguard.config.scenarios.scenario1_migration.cpu_threshold = cpu;
  return next;
}

beforeAll(async () => {
  expect(configured - LOWERED, 'the configured threshold must leave room above the lowered one').toBeGreaterThanOrEqual(15);
  await deploySystem(lab);
  await resetApp(lab, ctx.cluster);
});

afterAll(async () => {
  await stopAllStress(lab);
  await deploySystem(lab); // the configured thresholds again: a new config version, both services updated
  await resetApp(lab, ctx.cluster);
  console.table(figures);
});

describe.sequential('configuration change on the lab', () => {
  it(`scenario 1's cpu_threshold ${configured} → ${LOWERED}: a stress at ${STRESS_PCT} % is alerted and migrated`, async () => {
    const deployedAt = epochNow();
    await deploySystem(withThreshold(lab, LOWERED));
    await restartManager(ctx); // no cooldown left from an earlier test; the config is the new one either way
    await waitReportsFromWorkers(lab);
    const [task] = await pastStartupGrace(lab, (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running'));
    expect(task).toBeDefined();
    const probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: 100, durationMs: 90_000 });
    probe.start();
    try {
      const since = epochNow() - 1;
      const res = await fetch(`${lab.entrypoint}/stress/cpu?target=${STRESS_PCT}&duration=40&ramp=2`, { signal: AbortSignal.timeout(3000) });
      expect(res.ok, `stress answered ${res.status}`).toBe(true);
      const decided = await waitFor(
        'a decision on an alert for web-stress',
        async () => (await managerEvents(lab, since)).find((e) => e.event === 'decision_made' && e.service === service),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      const received = (await managerEvents(lab, since)).filter((e) => e.event === 'alert_received' && e.service === service);
      expect(received.length).toBeGreaterThan(0);
      const first = received[0]!;
      expect(first.scenario).toBe('scenario1_migration');
      expect(decided.decision, `decision ${String(decided.decision)}: ${String(decided.reason)}`).toBe('migrate');
      expect(String(decided.reason)).toContain(`(>${LOWERED})`);
      expect((await managerEvents(lab, since)).filter((e) => e.event === 'alert_ignored' && e.reason === 'rule_mismatch')).toEqual([]);
      // the agent alerted on the new threshold after consecutive_breaches samples, not later
      const t1t0 = Number(first.t1) - Number(first.t0);
      const needed = lab.swarmguard.config.scenarios.scenario1_migration.consecutive_breaches;
      expect(t1t0).toBeLessThanOrEqual(needed * pollMs + pollMs / 2);
      const events = await waitActionEvents(lab, since, String(decided.actionId), 90_000);
      expect(events.find((e) => e.event === 'action_failed')).toBeUndefined();
      await stopAllStress(lab);
      const down = summarizeDowntime((await probe.stop()).samples);
      figures.push({ threshold: `${configured} → ${LOWERED}`, stressPct: STRESS_PCT, deployS: Math.round((epochNow() - deployedAt) / 100) / 10, alertCpu: (first.m as { cpu?: number } | undefined)?.cpu ?? null, t1_t0_ms: Math.round(t1t0), reason: decided.reason, probes: down.samples, failed: down.failed });
      expect(down.failed).toBe(0);
    } finally {
      await probe.stop().catch(() => undefined);
    }
  });
});
