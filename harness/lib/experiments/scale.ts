import { readFileSync } from 'node:fs';
import { swarmNodes } from '../config/lab-config.ts';
import type { ClockOffset, TimingEvent } from '../config/types.ts';
import { AGENT_SERVICE, MANAGER_SERVICE } from '../config/system-specs.ts';
import { DockerLab } from '../cluster/docker-lab.ts';
import { measureClockOffsets } from '../cluster/lab-clocks.ts';
import { resetApp } from '../cluster/app-control.ts';
import { agentsRunning, fillNodes, growLocalLab, serviceCounters, shrinkLocalLab } from '../cluster/scale-lab.ts';
import type { ProbeBatch } from '../report/journal.ts';
import { quantile } from '../report/stats.ts';
import { DELTA_KEYS } from '../events/events.ts';
import { cpus } from 'node:os';
import { hostBusy, MiB } from '../../system/host-counters.ts';
import { grownLab } from '../../lab/grown-lab.ts';
import { defineExperiment } from './experiment.ts';
import { scenario1Iteration } from './scenario1.ts';
import { epochNow, outcomeOf, sleep, type ExperimentContext, type IterationResult } from './context.ts';

/** What was measured at one size of the lab. */
export interface SizeFigures {
  nodes: number;
  /** Containers each node's engine runs at the window (fillers, SwarmGuard, the app where it runs): the fewest and the most. */
  containersMin: number;
  containersMax: number;
  /** Each agent's CPU over the window (% of one core), its cgroup's rss and working set (usage − inactive_file, what `docker stats` shows), MB, by node. */
  agents: { node: string; cpuPct: number; rssMb: number; memMb: number }[];
  managerCpuPct: number;
  managerRssMb: number;
  managerMemMb: number;
  /** The host's MemTotal − MemAvailable during the window, MB. */
  hostUsedMb: number;
  /** The host's busy cores over the window: what every node, the balancer and the store cost the one machine they share. */
  hostBusyCores: number;
  mttrMs: number[];
  decisionMs: number[];
  /** Each migration's T-phases (t1_t0_ms …), as scenario 1 measures them. */
  phases: Record<string, number | null>[];
  failedRequests: number;
  probeSamples: number;
  downtimeMs: number;
  errors: string[];
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const sorted = (a: readonly number[]) => [...a].sort((x, y) => x - y);
const median = (a: readonly number[]) => quantile(sorted(a), 0.5);

function hostUsedMb(): number {
  const info = new Map(readFileSync('/proc/meminfo', 'utf8').split('\n').map((l) => [l.split(':')[0], Number.parseInt(l.split(':')[1] ?? '', 10)] as const));
  return ((info.get('MemTotal') ?? 0) - (info.get('MemAvailable') ?? 0)) / 1024;
}

/**
 * One size of the lab: every node filled to `fillers_per_node` idle containers; each agent's and the
 * manager's CPU and memory read from their cgroups over `window_s`, the lab idle but for them; then
 * `migrations` scenario-1 migrations (CPU stress), each as scenario 1 runs it, probes and all.
 */
async function measureSize(ctx: ExperimentContext, offsets: ClockOffset[], iteration: number, batches: ProbeBatch[], events: TimingEvent[]): Promise<SizeFigures> {
  const { lab } = ctx;
  const cfg = lab.experiments.scale;
  const nodes = swarmNodes(lab);
  const tag = `scale/${nodes.length} nodes`;
  await agentsRunning(lab);
  const filled = performance.now();
  const counts = await fillNodes(lab, cfg.fillers_per_node);
  ctx.log(`${tag}: ${cfg.fillers_per_node} idle containers on each node in ${((performance.now() - filled) / 1000).toFixed(1)} s; ${Math.min(...counts)}–${Math.max(...counts)} running per node`);
  await sleep(5000); // the agents' first samples of the new containers

  const agentCounters = await Promise.all(nodes.map(async (n) => ({ node: n.name, c: await serviceCounters(lab, AGENT_SERVICE, n.name) })));
  const managerCounters = await serviceCounters(lab, MANAGER_SERVICE, lab.swarm.manager.name);
  const t0 = performance.now();
  const cpu0 = agentCounters.map((a) => a.c.cpuNs());
  const mcpu0 = managerCounters.cpuNs();
  const busy = hostBusy();
  await sleep(cfg.window_s * 1000);
  const hostBusyCores = (busy() / 100) * cpus().length;
  const seconds = (performance.now() - t0) / 1000;
  const pct = (ns: number) => (ns / 1e9 / seconds) * 100;
  const agents = agentCounters.map((a, i) => {
    const mem = a.c.memory();
    return { node: a.node, cpuPct: pct(a.c.cpuNs() - cpu0[i]!), rssMb: mem.rss / MiB, memMb: mem.workingSet / MiB };
  });
  const managerMem = managerCounters.memory();
  const figures: SizeFigures = {
    nodes: nodes.length,
    containersMin: Math.min(...counts),
    containersMax: Math.max(...counts),
    agents,
    managerCpuPct: pct(managerCounters.cpuNs() - mcpu0),
    managerRssMb: managerMem.rss / MiB,
    managerMemMb: managerMem.workingSet / MiB,
    hostUsedMb: hostUsedMb(),
    hostBusyCores,
    mttrMs: [],
    decisionMs: [],
    phases: [],
    failedRequests: 0,
    probeSamples: 0,
    downtimeMs: 0,
    errors: [],
  };
  const worst = agents.reduce((a, b) => (b.cpuPct > a.cpuPct ? b : a));
  ctx.log(`${tag}: agents ${round1(Math.min(...agents.map((a) => a.cpuPct)))}–${round1(worst.cpuPct)} % of a core (most on ${worst.node}), memory ≤ ${round1(Math.max(...agents.map((a) => a.memMb)))} MB (rss ≤ ${round1(Math.max(...agents.map((a) => a.rssMb)))} MB); manager ${round1(figures.managerCpuPct)} %, ${round1(figures.managerMemMb)} MB; host ${Math.round(figures.hostUsedMb)} MB used, ${figures.hostBusyCores.toFixed(2)} cores busy`);

  for (let m = 1; m <= cfg.migrations; m++) {
    const r = await scenario1Iteration(ctx, iteration, 'cpu', offsets, 'scale');
    const ms = r.record.measurements;
    batches.push(...r.probes);
    events.push(...r.record.events);
    figures.failedRequests += r.record.probes.summary.failed;
    figures.probeSamples += r.record.probes.summary.samples;
    figures.downtimeMs += r.record.probes.summary.downtimeMs;
    if (typeof ms.mttr_ms === 'number') figures.mttrMs.push(ms.mttr_ms);
    figures.phases.push(Object.fromEntries(DELTA_KEYS.map((k) => [k, ms[k] ?? null])));
    if (typeof ms.decision_latency_max_ms === 'number') figures.decisionMs.push(ms.decision_latency_max_ms);
    if (r.record.error) figures.errors.push(`${tag}, migration ${m}: ${r.record.error}`);
    ctx.log(`${tag}: migration ${m}/${cfg.migrations}: MTTR ${typeof ms.mttr_ms === 'number' ? `${(ms.mttr_ms / 1000).toFixed(2)} s` : 'n/a'}, ${r.record.probes.summary.failed} failed requests`);
  }
  return figures;
}

function sizeMeasurements(prefix: string, f: SizeFigures | undefined) {
  const cpu = f?.agents.map((a) => a.cpuPct) ?? [];
  const rss = f?.agents.map((a) => a.rssMb) ?? [];
  const mem = f?.agents.map((a) => a.memMb) ?? [];
  const r = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? null : round1(v));
  return {
    [`${prefix}_nodes`]: f?.nodes ?? null,
    [`${prefix}_containers_per_node_min`]: f?.containersMin ?? null,
    [`${prefix}_agent_cpu_max_pct`]: f ? r(Math.max(...cpu)) : null,
    [`${prefix}_agent_cpu_median_pct`]: f ? r(median(cpu)) : null,
    [`${prefix}_agent_memory_max_mb`]: f ? r(Math.max(...mem)) : null,
    [`${prefix}_agent_rss_max_mb`]: f ? r(Math.max(...rss)) : null,
    [`${prefix}_manager_cpu_pct`]: r(f?.managerCpuPct),
    [`${prefix}_manager_memory_mb`]: r(f?.managerMemMb),
    [`${prefix}_manager_rss_mb`]: r(f?.managerRssMb),
    [`${prefix}_host_memory_used_mb`]: f ? Math.round(f.hostUsedMb) : null,
    [`${prefix}_host_busy_cores`]: f ? Math.round(f.hostBusyCores * 100) / 100 : null,
    [`${prefix}_mttr_median_ms`]: f?.mttrMs.length ? Math.round(median(f.mttrMs)!) : null,
    [`${prefix}_mttr_max_ms`]: f?.mttrMs.length ? Math.max(...f.mttrMs) : null,
    [`${prefix}_decision_latency_max_ms`]: f?.decisionMs.length ? Math.max(...f.decisionMs) : null,
    [`${prefix}_failed_requests`]: f?.failedRequests ?? null,
  };
}

/**
 * The lab at its own size (the local lab: 4 nodes), then grown to experiments.scale.nodes (10), each
 * node with the same idle containers: the agents' and the manager's cost, and migrations, at both.
 */
async function scaleIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const startedAt = epochNow();
  const cfg = ctx.lab.experiments.scale;
  // the names and addresses the lab would grow by; a lab that cannot grow fails here, before anything is changed
  const { lab: big, added } = grownLab(ctx.lab, cfg.nodes);
  const batches: ProbeBatch[] = [];
  const events: TimingEvent[] = [];
  const errors: string[] = [];
  let base: SizeFigures | undefined;
  let scaled: SizeFigures | undefined;
  let growS: number | null = null;
  try {
    await resetApp(ctx.lab, ctx.cluster);
    base = await measureSize(ctx, offsets, iteration, batches, events);
    const t = performance.now();
    await growLocalLab(ctx.lab, big, ctx.log);
    growS = round1((performance.now() - t) / 1000);
    const bigCtx: ExperimentContext = { ...ctx, lab: big, cluster: new DockerLab(big) };
    scaled = await measureSize(bigCtx, await measureClockOffsets(big), iteration, batches, events);
  } catch (err) {
    errors.push((err as Error).message);
  } finally {
    await shrinkLocalLab(ctx.lab, big, ctx.log).catch((err: Error) => errors.push(`back to ${swarmNodes(ctx.lab).length} nodes: ${err.message}`));
    await resetApp(ctx.lab, ctx.cluster).catch((err: Error) => errors.push(`app reset: ${err.message}`));
  }
  errors.push(...(base?.errors ?? []), ...(scaled?.errors ?? []));
  const bm = base?.mttrMs.length ? median(base.mttrMs) : null;
  const sm = scaled?.mttrMs.length ? median(scaled.mttrMs) : null;
  const all = [base, scaled].filter((f): f is SizeFigures => f !== undefined);
  const agentsAll = all.flatMap((f) => f.agents);
  const measurements = {
    ...sizeMeasurements('base', base),
    ...sizeMeasurements('scaled', scaled),
    grow_s: growS,
    agent_cpu_max_pct: agentsAll.length ? round1(Math.max(...agentsAll.map((a) => a.cpuPct))) : null,
    agent_rss_max_mb: agentsAll.length ? round1(Math.max(...agentsAll.map((a) => a.rssMb))) : null,
    // with the page cache its cgroup is charged for: on a new node, the image files the agent read first
    agent_memory_max_mb: agentsAll.length ? round1(Math.max(...agentsAll.map((a) => a.memMb))) : null,
    // the grown lab's median migration against the lab's own, in %: 100 is the same
    mttr_ratio_pct: bm && sm ? round1((sm / bm) * 100) : null,
    failed_requests: all.length === 2 ? all.reduce((a, f) => a + f.failedRequests, 0) : null,
    downtime_ms: all.length === 2 ? all.reduce((a, f) => a + f.downtimeMs, 0) : null,
  };
  const s2 = (ms: number | null) => (ms === null ? '?' : `${(ms / 1000).toFixed(2)} s`);
  ctx.log(`scale: MTTR median ${s2(bm)} at ${base?.nodes ?? '?'} nodes, ${s2(sm)} at ${scaled?.nodes ?? '?'} (${measurements.mttr_ratio_pct ?? '?'} %); agents ≤ ${measurements.agent_cpu_max_pct ?? '?'} %, rss ≤ ${measurements.agent_rss_max_mb ?? '?'} MB${errors.length ? `; ERROR ${errors.join('; ')}` : ''}`);
  const samples = all.reduce((a, f) => a + f.probeSamples, 0);
  return {
    record: {
      experiment: 'scale',
      iteration,
      params: {
        nodes: [base?.nodes ?? swarmNodes(ctx.lab).length, cfg.nodes],
        added: added.map((n) => `${n.name} ${n.address}`),
        fillers_per_node: cfg.fillers_per_node,
        migrations_per_size: cfg.migrations,
        window_s: cfg.window_s,
        agents: Object.fromEntries(all.map((f) => [`${f.nodes} nodes`, f.agents.map((a) => `${a.node} ${round1(a.cpuPct)} % ${round1(a.memMb)} MB (rss ${round1(a.rssMb)} MB)`)])),
        mttr_ms: Object.fromEntries(all.map((f) => [`${f.nodes} nodes`, f.mttrMs])),
        // where a migration's time goes at each size: the median of each phase
        phase_medians_ms: Object.fromEntries(
          all.map((f) => [`${f.nodes} nodes`, Object.fromEntries(DELTA_KEYS.map((k) => [k, median(f.phases.map((p) => p[k]).filter((v): v is number => typeof v === 'number'))]))]),
        ),
      },
      startedAt,
      endedAt: epochNow(),
      events,
      probes: { summary: { samples, failed: measurements.failed_requests ?? 0, downtimeMs: measurements.downtime_ms ?? 0 } },
      ...outcomeOf(errors.length ? errors.join('; ') : undefined),
      measurements,
      slo: [],
    },
    probes: batches,
  };
}

export const scale = defineExperiment({
  name: 'scale',
  title: 'scale: the lab at its own size and grown to experiments.scale.nodes, with idle containers on every node',
  // one iteration holds experiments.scale.migrations migrations at each size, and takes minutes
  maxIterations: 1,
  variants: [{ label: 'own size, then grown', run: scaleIteration, supports: (lab) => lab.kind === 'local' }],
  thresholds: [
    { name: 'scale-agent-cpu', metric: 'agent_cpu_max_pct', op: '<=', limit: 5, description: 'Scale: every agent at most 5 % of one core, at both sizes (PRD §4.3)' },
    { name: 'scale-agent-memory', metric: 'agent_rss_max_mb', op: '<=', limit: 100, description: "Scale: every agent's cgroup rss at most 100 MB, at both sizes (PRD §4.3)" },
    { name: 'scale-mttr-within-10pct', metric: 'mttr_ratio_pct', op: '<=', limit: 110, description: "Scale: the grown lab's median migration MTTR within 10 % of the lab's own" },
    { name: 'scale-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'Scale: the migrations at both sizes lose no request' },
  ],
});
