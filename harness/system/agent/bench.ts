/**
 * Benchmark of the agent on the local lab, for each stats source (cgroup files, Docker
 * API): with 1, 20 and 50 idle containers on one worker, the agent's own cycle duration (median,
 * p95: from its `cycle_stats` log lines, every 10 cycles) and its container's CPU % and RSS (cgroup
 * v1 counters and /proc, read from the host).
 *
 *   npm run bench:agent                          # both sources on the lab (lab lock, deploys the system, ~5 min)
 *   npm run bench:agent -- --source cgroup       # one source only (cgroup | docker)
 *   npm run bench:agent -- --local               # the in-process benchmark with a fake Docker port, no lab
 *
 * The source is switched with STATS_SOURCE in the agent service's env (removed again at the end).
 * The idle containers are plain containers (not a service) on that node's daemon, the lab's base
 * image running busybox `sleep` (harness/lib/cluster/idle-containers.ts); they are removed at the end, also
 * after a failure. The first source goes 1 → 20 → 50 containers, the second 50 → 20 → 1, so the
 * containers are created once. Targets (reported, not asserted): 50-container cycle < 250 ms; at 20
 * containers < 2 % of one core and < 80 MB RSS.
 */
import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import type Docker from 'dockerode';
import { loadLab, stateDir, type LabConfig } from '../../lib/config/lab-config.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { baseImageRef } from '../../lab/base-image.ts';
import { deploySystem } from '../../lib/cluster/deploy.ts';
import { managerDocker, nodeDockers } from '../../lib/cluster/docker-clients.ts';
import { HostCounters, MiB, sleep } from '../host-counters.ts';
import { pullImage, removeIdleContainers, setIdleCount } from '../../lib/cluster/idle-containers.ts';
import { quietWorker } from '../web-stress/probe-service.ts';
import { quantile } from '../../../system/agent/src/agent.ts';
import { awaitAgent, containerEvents, setAgentSource, type BenchSource } from './agent-source.ts';

const BENCH_PREFIX = 'agent-bench';
const COUNTS = [1, 20, 50];
/** cycle_stats lines (10 cycles each) gathered per count, all from cycles run at that count. */
const STATS_LINES = 2;

const fmt = (v: number, digits = 1) => v.toFixed(digits);

function vmRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Row {
  source: BenchSource;
  containers: number;
  sampled: number;
  cycles: number;
  median: number;
  p95: number;
  max: number;
  cpuPercent: number;
  rssMb: number;
  cgroupRssMb: number;
  workingSetMb: number;
  seconds: number;
}

/** One count with the agent as it runs now: cycle_stats of whole windows at that count, CPU over the same time. */
async function measure(docker: Docker, agent: { id: string; pid: number }, source: BenchSource, count: number, pollS: number, node: string): Promise<Row> {
  const counters = new HostCounters(agent.pid);
  // what the agent sees: every running container but SwarmGuard's own
  const watched = (await docker.listContainers()).filter((c) => !('swarmguard.component' in (c.Labels ?? {}))).length;
  await sleep(2000); // the new containers' first (baseline) samples
  const settled = Date.now();
  const cpu0 = counters.cpuNs();
  const t0 = performance.now();
  let lines: { durations: number[] }[] = [];
  // a Docker-API cycle at 50 containers takes over a second: allow for cycles of up to 2 s
  const deadline = settled + (STATS_LINES + 1) * 10 * Math.max(pollS, 2) * 1000 + 10_000;
  while (Date.now() < deadline) {
    await sleep(2000);
    lines = (await containerEvents(docker, agent.id, settled))
      // whole windows at this count: the line's cycles all started after `settled`
      .filter((e) => e.event === 'cycle_stats' && e.t - (e.durationsMs as number[]).reduce((a, b) => a + Math.max(b, pollS * 1000), 0) >= settled + 500 && Number(e.containers) === watched)
      .map((e) => ({ durations: e.durationsMs as number[] }));
    if (lines.length >= STATS_LINES) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuPercent = ((counters.cpuNs() - cpu0) / 1e9 / seconds) * 100;
  if (lines.length === 0) throw new Error(`no cycle_stats line from the agent on ${node} at ${watched} containers within ${fmt(seconds, 0)} s`);
  const durations = lines.flatMap((l) => l.durations).sort((a, b) => a - b);
  const mem = counters.memory();
  const row: Row = {
    source,
    containers: count,
    sampled: watched,
    cycles: durations.length,
    median: quantile(durations, 0.5),
    p95: quantile(durations, 0.95),
    max: durations[durations.length - 1],
    cpuPercent,
    rssMb: vmRssMb(agent.pid),
    cgroupRssMb: mem.rss / MiB,
    workingSetMb: mem.workingSet / MiB,
    seconds,
  };
  console.log(`${source}, ${count} idle containers (${watched} watched): ${row.cycles} cycles, median ${fmt(row.median)} ms, p95 ${fmt(row.p95)} ms, agent CPU ${fmt(cpuPercent, 2)} % over ${fmt(seconds)} s, RSS ${fmt(row.rssMb)} MB`);
  return row;
}

async function bench(lab: LabConfig, sources: BenchSource[]): Promise<Row[]> {
  const deployed = await deploySystem(lab);
  const node = (await quietWorker(lab)).name;
  const docker = nodeDockers(lab).get(node) as Docker;
  const manager = managerDocker(lab);
  const image = baseImageRef(lab.registry);
  console.log(`agent bench on ${node}; system deployed in ${fmt(deployed.seconds)} s; idle containers: ${image} running sleep`);
  const left = await removeIdleContainers(docker, BENCH_PREFIX);
  if (left) console.log(`removed ${left} leftover bench containers`);
  await pullImage(docker, image);
  const pollS = lab.swarmguard.config.monitoring.poll_interval;

  const rows: Row[] = [];
  try {
    for (const [i, source] of sources.entries()) {
      const since = Date.now();
      const changed = await setAgentSource(manager, source);
      const agent = await awaitAgent(docker, node, source, changed ? since : 0);
      console.log(`agent ${agent.id.slice(0, 12)} on ${node}: stats source ${source} (${String(agent.started.statsSourceReason)})`);
      for (const count of i % 2 === 0 ? COUNTS : [...COUNTS].reverse()) {
        await setIdleCount(docker, { image, prefix: BENCH_PREFIX, count });
        rows.push(await measure(docker, agent, source, count, pollS, node));
      }
    }
  } finally {
    const removed = await removeIdleContainers(docker, BENCH_PREFIX);
    console.log(`removed ${removed} bench containers from ${node}`);
    if (await setAgentSource(manager, null)) console.log('agent service env restored (STATS_SOURCE removed)');
  }
  return rows;
}

function sourcesFromArgs(argv: readonly string[]): BenchSource[] {
  const at = argv.indexOf('--source');
  if (at < 0) return ['cgroup', 'docker'];
  const value = argv[at + 1];
  if (value !== 'cgroup' && value !== 'docker') throw new Error(`--source: got ${JSON.stringify(value)}, expected cgroup or docker`);
  return [value];
}

async function main(): Promise<void> {
  if (process.argv.includes('--local')) {
    await import('../../../system/agent/bench/local.ts');
    return;
  }
  const sources = sourcesFromArgs(process.argv.slice(2));
  const started = performance.now();
  const lab = await loadLab();
  const release = await acquireLabLock(stateDir(lab), 'bench:agent');
  let rows: Row[];
  try {
    if (lab.kind === 'local') await new LocalLab(lab).up();
    rows = await bench(lab, sources);
  } finally {
    await release();
  }
  const table = new Table({
    head: ['stats source', 'idle containers', 'watched by the agent', 'cycles', 'cycle median', 'cycle p95', 'cycle max', 'agent CPU (% of one core)', 'agent RSS (node VmRSS)', 'agent cgroup rss / usage − inactive_file'],
  });
  const order = (r: Row) => sources.indexOf(r.source) * 1000 + r.containers;
  for (const r of [...rows].sort((a, b) => order(a) - order(b))) {
    table.push([r.source, r.containers, r.sampled, r.cycles, `${fmt(r.median)} ms`, `${fmt(r.p95)} ms`, `${fmt(r.max)} ms`, `${fmt(r.cpuPercent, 2)} %`, `${fmt(r.rssMb)} MB`, `${fmt(r.cgroupRssMb)} / ${fmt(r.workingSetMb)} MB`]);
  }
  console.log(table.toString());
  console.log('targets: 50-container cycle < 250 ms; at 20 containers < 2 % of one core and < 80 MB RSS');
  console.log(`bench done in ${fmt((performance.now() - started) / 1000, 0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
