import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLab } from '../config/lab-config.ts';
import { managerDocker } from '../cluster/docker-clients.ts';
import { resetApp } from '../cluster/app-control.ts';
import { DockerSwarm } from '../cluster/docker-swarm.ts';
import { RemoteProbe } from './remote-probe.ts';
import { ProbeSet } from './probe-set.ts';
import { summarizeProbeSources } from './probe-summary.ts';
import { quantile } from '../report/stats.ts';

const lab = await loadLab();
const url = `${lab.entrypoint}${lab.experiments.probe_path}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gaps between consecutive sends, smallest first. The log is in order of completion: a slow answer comes after the next send. */
function spacings(sentAt: number[]): number[] {
  const sent = [...sentAt].sort((a, b) => a - b);
  return sent.slice(1).map((t, i) => t - sent[i]).sort((a, b) => a - b);
}

describe.runIf(lab.load_generators.length > 0)('the remote availability probe on the load generators', () => {
  it('probes the real entrypoint every 100 ms from every generator for 5 s and cleans up', async () => {
    await resetApp(lab, new DockerSwarm(managerDocker(lab)));
    const runId = `probe-lab-${Date.now().toString(36)}`;
    const probe = await RemoteProbe.start(lab, { url, intervalMs: 100, timeoutMs: lab.experiments.probe_timeout_ms, durationMs: 5000, runId });
    let results;
    try {
      await sleep(5300);
      results = await probe.stop();
    } finally {
      await probe.stop().catch(() => undefined); // cleanup on a failed wait; the error surfaced above
    }
    expect(results.map((r) => r.source)).toEqual(lab.load_generators.map((g) => g.name));
    for (const r of results) {
      const sent = r.samples.map((s) => s.sentAt).sort((a, b) => a - b);
      const gaps = spacings(sent);
      console.log(
        `${r.source}: ${r.samples.length} samples, clock ${r.clock?.name}, offset ${r.clockOffset.offsetMs.toFixed(2)} ± ${r.clockOffset.uncertaintyMs.toFixed(2)} ms; ` +
          `spacing median ${quantile(gaps, 0.5)?.toFixed(1)} ms (min ${gaps[0].toFixed(1)}, max ${gaps.at(-1)?.toFixed(1)}); ` +
          `jitter mean ${r.jitter.meanMs.toFixed(1)} p95 ${r.jitter.p95Ms.toFixed(1)} max ${r.jitter.maxMs.toFixed(1)} ms, ${r.jitter.skipped} skipped`,
      );
      // 50 slots planned in 5 s; a slot dropped by a late loop is counted, not silently lost
      expect(r.samples.length + r.jitter.skipped).toBe(50);
      expect(r.samples.length).toBeGreaterThanOrEqual(45);
      expect(r.samples.every((s) => s.status === 200 && s.ok && s.source === r.source)).toBe(true);
      expect(r.samples.every((s) => s.servedBy !== null && /^[0-9a-f]{12}$/.test(s.servedBy) && s.node !== null)).toBe(true);
      // one send every 100 ms on the schedule: the median gap is the interval, none is a burst
      expect(quantile(gaps, 0.5)).toBeGreaterThan(80);
      expect(quantile(gaps, 0.5)).toBeLessThan(120);
      expect(gaps[0]).toBeGreaterThan(20);
      // the whole run lies within the 5 s window on the control clock (the local generators share its clock)
      expect(sent.at(-1)! - sent[0]).toBeGreaterThan(4500);
      expect(sent.at(-1)! - sent[0]).toBeLessThan(5100);
      expect(Math.abs(r.clockOffset.offsetMs)).toBeLessThan(r.clockOffset.uncertaintyMs + 5);
      expect(r.samples.every((s) => s.latencyMs > 0 && s.latencyMs < lab.experiments.probe_timeout_ms)).toBe(true);
    }
    // stop() removed each generator's run folder (in the local lab they share this filesystem)
    if (lab.kind === 'local') for (const g of lab.load_generators) expect(existsSync(`/tmp/swarmguard-load-${runId}-${g.name}`)).toBe(false);
  }, 60_000);

  it('ProbeSet: control and every generator in parallel, stopped early, each source counted', async () => {
    const probes = await ProbeSet.start(lab, { durationMs: 60_000, runId: `probeset-lab-${Date.now().toString(36)}` });
    let sources;
    try {
      await sleep(2000);
      const live = await probes.poll();
      expect(new Set(live.map((s) => s.source))).toEqual(new Set(['control', ...lab.load_generators.map((g) => g.name)]));
      const t0 = Date.now();
      sources = await probes.stop();
      // stopped on request, long before the 60 s bound: the scripts saw their stop file
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await probes.stop().catch(() => undefined);
    }
    const { summary } = summarizeProbeSources(sources);
    console.log(Object.entries(summary.sources).map(([k, v]) => `${k}: ${v.failed}/${v.samples} failed, jitter p95 ${v.jitter.p95Ms.toFixed(1)} ms`).join('; '));
    expect(Object.keys(summary.sources).sort()).toEqual(['control', ...lab.load_generators.map((g) => g.name)].sort());
    for (const v of Object.values(summary.sources)) expect(v.samples).toBeGreaterThanOrEqual(15);
    expect(summary.failed).toBe(0);
  }, 60_000);
});
