/**
 * Benchmark of the agent on the local lab (issue 4): with 1, 20 and 50 idle containers on one
 * worker, the agent's own cycle duration (median, p95: from its `cycle_stats` log lines, every 10
 * cycles) and its container's CPU % and RSS (cgroup v1 counters and /proc, read from the host).
 *
 *   npm run bench:agent              # the lab (takes the lab lock, deploys the system, ~2–3 min)
 *   npm run bench:agent -- --local   # the in-process benchmark with a fake Docker port, no lab
 *
 * The idle containers are plain containers (not a service) on that node's daemon, the lab's base
 * image running busybox `sleep`, labelled swarmguard.bench=agent; they are removed at the end, also
 * after a failure. Targets (reported, not asserted): 50-container cycle < 250 ms; at 20 containers
 * < 2 % of one core and < 80 MB RSS.
 */
import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import type Docker from 'dockerode';
import { loadLab, stateDir, type LabConfig } from '../../harness/lib/lab-config.ts';
import { acquireLabLock } from '../../harness/lab/lab-lock.ts';
import { LocalLab } from '../../harness/lab/local-lab.ts';
import { baseImageRef } from '../../harness/lab/base-image.ts';
import { deploySystem } from '../../harness/lib/deploy.ts';
import { nodeDockers } from '../../harness/lib/docker-clients.ts';
import { demuxDockerLog } from '../../harness/lib/log-scraper.ts';
import { parseEvents } from '../../harness/lib/events.ts';
import { AGENT_SERVICE } from '../../harness/lib/system-specs.ts';
import { HostCounters, MiB, sleep } from '../web-stress/bench/host-counters.ts';
import { quietWorker } from '../web-stress/bench/probe-service.ts';
import { quantile } from './src/agent.ts';

const BENCH_LABEL = 'swarmguard.bench';
const COUNTS = [1, 20, 50];
/** cycle_stats lines (10 cycles each) gathered per count, all from cycles run at that count. */
const STATS_LINES = 2;

const fmt = (v: number, digits = 1) => v.toFixed(digits);

async function removeBenchContainers(docker: Docker): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=agent`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  return list.length;
}

async function pull(docker: Docker, ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function addContainers(docker: Docker, image: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 10) {
    const batch = Array.from({ length: Math.min(10, to - i) }, (_, k) => i + k);
    await Promise.all(
      batch.map(async (n) => {
        const c = await docker.createContainer({
          name: `agent-bench-${n}`,
          Image: image,
          Cmd: ['sleep', '3600'],
          Labels: { [BENCH_LABEL]: 'agent' },
          HostConfig: { Memory: 16 * MiB },
        });
        await c.start();
      }),
    );
  }
}

function vmRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Row {
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

async function bench(lab: LabConfig): Promise<Row[]> {
  const deployed = await deploySystem(lab);
  const node = (await quietWorker(lab)).name;
  const docker = nodeDockers(lab).get(node) as Docker;
  const image = baseImageRef(lab.registry);
  console.log(`agent bench on ${node}; system deployed in ${fmt(deployed.seconds)} s; idle containers: ${image} running sleep`);
  const left = await removeBenchContainers(docker);
  if (left) console.log(`removed ${left} leftover bench containers`);
  await pull(docker, image);

  const agents = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${AGENT_SERVICE}`] } });
  if (agents.length !== 1) throw new Error(`expected one ${AGENT_SERVICE} container on ${node}, found ${agents.length}`);
  const agentId = agents[0].Id;
  const pid = ((await docker.getContainer(agentId).inspect()) as { State: { Pid: number } }).State.Pid;
  const counters = new HostCounters(pid);
  const poll = lab.swarmguard.config.monitoring.poll_interval;

  const rows: Row[] = [];
  let have = 0;
  try {
    for (const count of COUNTS) {
      await addContainers(docker, image, have, count);
      have = count;
      // what the agent sees: every running container but SwarmGuard's own
      const watched = (await docker.listContainers()).filter((c) => !('swarmguard.component' in (c.Labels ?? {}))).length;
      await sleep(2000); // the new containers' first (baseline) samples
      const settled = Date.now();
      const cpu0 = counters.cpuNs();
      const t0 = performance.now();
      let lines: { durations: number[] }[] = [];
      const deadline = settled + (STATS_LINES + 2) * 10 * poll * 1000 + 10_000;
      while (Date.now() < deadline) {
        await sleep(2000);
        const buf = (await docker.getContainer(agentId).logs({ stdout: true, stderr: true, follow: false, since: Math.floor(settled / 1000) - 1 })) as unknown as Buffer;
        lines = parseEvents(demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))))
          // whole windows at this count: the line's 10 cycles all started after `settled`
          .filter((e) => e.event === 'cycle_stats' && e.t - (Number(e.cycles) - 1) * poll * 1000 >= settled + 500 && Number(e.containers) >= count)
          .map((e) => ({ durations: e.durationsMs as number[] }));
        if (lines.length >= STATS_LINES) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpuPercent = ((counters.cpuNs() - cpu0) / 1e9 / seconds) * 100;
      if (lines.length === 0) throw new Error(`no cycle_stats line from the agent on ${node} at ${watched} containers (is the agent built from this checkout?)`);
      const durations = lines.flatMap((l) => l.durations).sort((a, b) => a - b);
      const mem = counters.memory();
      rows.push({
        containers: count,
        sampled: watched,
        cycles: durations.length,
        median: quantile(durations, 0.5),
        p95: quantile(durations, 0.95),
        max: durations[durations.length - 1],
        cpuPercent,
        rssMb: vmRssMb(pid),
        cgroupRssMb: mem.rss / MiB,
        workingSetMb: mem.workingSet / MiB,
        seconds,
      });
      console.log(`${count} idle containers (${watched} watched): ${durations.length} cycles, median ${fmt(quantile(durations, 0.5))} ms, agent CPU ${fmt(cpuPercent, 2)} % over ${fmt(seconds)} s`);
    }
  } finally {
    const removed = await removeBenchContainers(docker);
    console.log(`removed ${removed} bench containers from ${node}`);
  }
  return rows;
}

async function main(): Promise<void> {
  if (process.argv.includes('--local')) {
    await import('./bench/local.ts');
    return;
  }
  const started = performance.now();
  const lab = await loadLab();
  const release = await acquireLabLock(stateDir(lab), 'bench:agent');
  let rows: Row[];
  try {
    if (lab.kind === 'local') await new LocalLab(lab).up();
    rows = await bench(lab);
  } finally {
    await release();
  }
  const table = new Table({
    head: ['idle containers', 'watched by the agent', 'cycles', 'cycle median', 'cycle p95', 'cycle max', 'agent CPU (% of one core)', 'agent RSS (node VmRSS)', 'agent cgroup rss / usage − inactive_file'],
  });
  for (const r of rows) {
    table.push([r.containers, r.sampled, r.cycles, `${fmt(r.median)} ms`, `${fmt(r.p95)} ms`, `${fmt(r.max)} ms`, `${fmt(r.cpuPercent, 2)} %`, `${fmt(r.rssMb)} MB`, `${fmt(r.cgroupRssMb)} / ${fmt(r.workingSetMb)} MB`]);
  }
  console.log(table.toString());
  console.log('targets (issue 4): 50-container cycle < 250 ms; at 20 containers < 2 % of one core and < 80 MB RSS');
  console.log(`bench done in ${fmt((performance.now() - started) / 1000, 0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
