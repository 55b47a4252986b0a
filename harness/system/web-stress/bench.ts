/**
 * Benchmark of web-stress on the local lab: a service of its own (ws-bench: 0.5 CPU,
 * 512 MB, pinned to the worker without the app's task, host-mode port 18081, the lab's UDP sink),
 * measured with the container's own counters read from the host (cgroup v1 cpuacct.usage,
 * memory usage − total_inactive_file and total_rss, /proc/<pid>/net/dev), never the app's /metrics.
 *
 *   npm run bench:web-stress              # the lab (takes the lab lock, deploys the system, ~2–3 min)
 *   npm run bench:web-stress -- --local   # the old local benchmark of the built bundle, no lab
 *
 * Prints: start-to-healthy (service create → container start → first 200 on /health, and Docker's
 * own healthcheck), idle CPU and RSS, and achieved vs target for CPU 25/50/80 %, memory 100/200 MB
 * and network 10/20/50 Mbps. The machine's 2 cores are shared: the "host busy" column says what the
 * whole host was doing during each window.
 */
import Table from 'cli-table3';
import { loadLab, stateDir, type LabConfig } from '../../lib/config/lab-config.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { deploySystem } from '../../lib/cluster/deploy.ts';
import { nodeDockers } from '../../lib/cluster/docker-clients.ts';
import { deployProbe, getJson, quietWorker, removeProbe, webStressImage, type Probe } from './probe-service.ts';
import { hostBusy, measureRates, MiB, sleep } from '../host-counters.ts';

const NAME = 'ws-bench';
const PORT = 18081;
const CPUS = 0.5;
const MEMORY_MB = 512;
const START_RUNS = 3;

const fmt = (v: number, digits = 1) => v.toFixed(digits);
const signed = (v: number, digits = 1) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Docker's own healthcheck: ms from container start to the end of its first passing probe. */
async function dockerHealthyMs(lab: LabConfig, probe: Probe): Promise<number | null> {
  const docker = nodeDockers(lab).get(probe.node);
  for (let i = 0; i < 40; i++) {
    const info = (await docker!.getContainer(probe.containerId).inspect()) as {
      State: { StartedAt: string; Health?: { Status: string; Log?: { ExitCode: number; End: string }[] } };
    };
    const ok = info.State.Health?.Log?.find((l) => l.ExitCode === 0);
    if (ok) return Date.parse(ok.End) - Date.parse(info.State.StartedAt);
    await sleep(250);
  }
  return null;
}

async function meanWorkingSetMb(probe: Probe, readings = 5, gapMs = 200): Promise<number> {
  let sum = 0;
  for (let i = 0; i < readings; i++) {
    sum += probe.counters.memory().workingSet / MiB;
    if (i < readings - 1) await sleep(gapMs);
  }
  return sum / readings;
}

async function allocatedMb(probe: Probe): Promise<number> {
  const m = await getJson(`${probe.base}/metrics`);
  const mem = (m.active_stress as { kind: string; detail: { allocated_mb?: number } }[]).find((s) => s.kind === 'memory');
  return mem?.detail.allocated_mb ?? 0;
}

async function bench(lab: LabConfig): Promise<void> {
  const deployed = await deploySystem(lab);
  const image = await webStressImage(lab);
  const node = await quietWorker(lab);
  console.log(`web-stress bench on ${node.name} (${CPUS} CPU, ${MEMORY_MB} MB limits), image ${image.split('/').pop()}; system deployed in ${fmt(deployed.seconds)} s`);

  // start-to-healthy, a few times (the last probe stays for the rest of the bench)
  const starts: { createToStart: number; startToHealthy: number; createToHealthy: number; dockerHealthy: number | null }[] = [];
  let probe: Probe | undefined;
  for (let run = 0; run < START_RUNS; run++) {
    if (probe) await removeProbe(lab, NAME, probe.base);
    probe = await deployProbe(lab, { name: NAME, node: node.name, port: PORT, cpus: CPUS, memoryMb: MEMORY_MB }, image);
    starts.push({ createToStart: probe.createToStartMs, startToHealthy: probe.startToHealthyMs, createToHealthy: probe.createToHealthyMs, dockerHealthy: await dockerHealthyMs(lab, probe) });
  }
  if (!probe) throw new Error('no probe service');
  const p = probe;

  await sleep(3000); // start-up work (JIT, first GC) settles before calling it idle
  const busyIdle = hostBusy();
  const proc0 = p.counters.processCpuS();
  const idle = await measureRates(p.counters, 10_000, CPUS);
  const idleProcess = ((p.counters.processCpuS() - proc0) / idle.seconds) * 100;
  const idleBusy = busyIdle();
  const mem = p.counters.memory();
  const idleMb = await meanWorkingSetMb(p);

  const footprint = new Table({ head: ['measure', 'value', 'target'] });
  const col = (k: keyof (typeof starts)[number]) => starts.map((s) => s[k]).filter((v): v is number => v !== null);
  footprint.push(
    [`service create → container started (median of ${START_RUNS})`, `${fmt(median(col('createToStart')), 0)} ms  [${col('createToStart').map((v) => fmt(v, 0)).join(', ')}]`, '–'],
    ['container start → first 200 on /health', `${fmt(median(col('startToHealthy')), 0)} ms  [${col('startToHealthy').map((v) => fmt(v, 0)).join(', ')}]`, '< 1000 ms'],
    ['service create → first 200 on /health', `${fmt(median(col('createToHealthy')), 0)} ms  [${col('createToHealthy').map((v) => fmt(v, 0)).join(', ')}]`, '–'],
    ["container start → Docker's first passing healthcheck", `${fmt(median(col('dockerHealthy')), 0)} ms  [${col('dockerHealthy').map((v) => fmt(v, 0)).join(', ')}]`, `(${lab.app.healthcheck.interval_s} s interval)`],
    ['idle CPU over 10 s, % of one core: whole cgroup', `${fmt(idle.cpuPercent * CPUS, 2)} %  (${fmt(idle.cpuPercent, 2)} % of its ${CPUS} CPU; host busy ${fmt(idleBusy, 0)} %)`, '< 2 %'],
    [`… of which the node process (without the ${lab.app.healthcheck.interval_s} s healthcheck execs)`, `${fmt(idleProcess, 2)} %`, '< 2 %'],
    ['idle RSS (cgroup total_rss)', `${fmt(mem.rss / MiB)} MB`, '< 80 MB'],
    ['idle usage − inactive_file (what the agent reports)', `${fmt(idleMb)} MB`, '–'],
  );
  console.log(footprint.toString());

  const boost = !process.argv.includes('--no-boost');
  const restoreShares = boost ? p.counters.boostNodeShares() : () => undefined;
  console.log(
    boost
      ? `cpu.shares of ${p.node}'s cgroup raised to 8192 during the stress rows (other processes on this shared host would decide otherwise whether 0.4 core is reachable; --no-boost to see that)`
      : 'cpu.shares of the node cgroup left as it is (--no-boost)',
  );
  try {
    await stressRows(p);
  } finally {
    restoreShares();
  }
}

async function stressRows(p: Probe): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const target of [25, 50, 80]) {
    await getJson(`${p.base}/stress/cpu?target=${target}&duration=30&ramp=0`);
    await sleep(3000); // the closed loop settles
    const busy = hostBusy();
    const r = await measureRates(p.counters, 6000, CPUS);
    const b = busy();
    await getJson(`${p.base}/stress/stop`);
    rows.push([`CPU ${target} % of ${CPUS} CPU`, `${fmt(r.cpuPercent)} %`, signed(r.cpuPercent - target), '± 5', `cgroup cpuacct.usage, ${fmt(r.seconds)} s after 3 s settling`, `${fmt(b, 0)} %`]);
    await sleep(1000);
  }
  for (const target of [100, 200]) {
    const before = await meanWorkingSetMb(p);
    const t0 = performance.now();
    await getJson(`${p.base}/stress/memory?target=${target}&duration=30&ramp=0`);
    while ((await allocatedMb(p)) < target && performance.now() - t0 < 15_000) await sleep(20);
    const fillMs = performance.now() - t0;
    await sleep(1000);
    const held = await meanWorkingSetMb(p, 10, 200);
    await getJson(`${p.base}/stress/stop`);
    await sleep(1500);
    const back = (await meanWorkingSetMb(p)) - before;
    rows.push([`memory ${target} MB`, `+${fmt(held - before)} MB`, signed(held - before - target), '± 10', `usage − inactive_file above idle; filled in ${fmt(fillMs, 0)} ms; ${signed(back)} MB 1.5 s after stop`, '–']);
  }
  for (const target of [10, 20, 50]) {
    await getJson(`${p.base}/stress/network?bandwidth=${target}&duration=30&ramp=0`);
    await sleep(2000);
    const busy = hostBusy();
    const r = await measureRates(p.counters, 6000, CPUS);
    const b = busy();
    await getJson(`${p.base}/stress/stop`);
    rows.push([`network ${target} Mbps`, `${fmt(r.txMbps, 2)} Mbps`, signed(r.txMbps - target, 2), target === 20 ? '± 3' : '–', `tx on the container's interfaces (/proc/<pid>/net/dev), ${fmt(r.seconds)} s; CPU meanwhile ${fmt(r.cpuPercent)} %`, `${fmt(b, 0)} %`]);
    await sleep(1000);
  }
  const table = new Table({ head: ['target', 'achieved', 'error', 'tolerance', 'how', 'host busy (2 cores)'] });
  table.push(...rows);
  console.log(table.toString());
}

async function main(): Promise<void> {
  if (process.argv.includes('--local')) {
    await import('../../../system/web-stress/bench/local.ts');
    return;
  }
  const started = performance.now();
  const lab = await loadLab();
  const release = await acquireLabLock(stateDir(lab), 'bench:web-stress');
  try {
    if (lab.kind === 'local') await new LocalLab(lab).up();
    await bench(lab);
  } finally {
    await removeProbe(lab, NAME).catch((err: unknown) => console.error(`removing ${NAME}: ${String(err)}`));
    await release();
  }
  console.log(`bench done in ${fmt((performance.now() - started) / 1000, 0)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
