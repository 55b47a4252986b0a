/**
 * Local benchmark of the built web-stress (dist/web-stress/main.cjs; run `npm run build` first):
 * start-to-healthy time, idle CPU and RSS, achieved vs target CPU and memory. Everything is
 * measured from outside, with the process's own /proc/<pid> counters, never with the app's idea
 * of itself. There is no cgroup limit here, so CPU targets are % of the host's cores.
 * Network needs the lab (a sink and a non-loopback interface) and is skipped with a note; the lab
 * benchmark (npm run bench:web-stress) has it.
 *
 *   npx tsx system/web-stress/bench.ts --local
 *   npx tsx system/web-stress/bench.ts --local --cgroup-cpu=0.5   # also: CPU under a real cgroup v1 quota
 *
 * --cgroup-cpu (root, cgroup v1 with separate cpu and cpuacct mounts, as on the lab host) moves a
 * second server into a temporary cgroup with that CPU quota, checks the targets against the
 * cgroup's own cpuacct.usage, and removes the cgroup afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import Table from 'cli-table3';

const MAIN = 'dist/web-stress/main.cjs';
const CLK_TCK = 100; // Linux USER_HZ; getconf CLK_TCK is 100 on every mainstream kernel
const HOST_CORES = availableParallelism();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** utime + stime of the whole process (all threads) in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of stat(5)
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Busy and total jiffies of the whole host (first line of /proc/stat). */
function hostJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3] - fields[4], total }; // minus idle and iowait
}

/**
 * CPU use over `ms` as % of the host's cores, and what everything else on the host used meanwhile:
 * on a shared host the target can only be reached when the others leave room for it.
 */
async function cpuPercent(pid: number, ms: number): Promise<{ ours: number; others: number }> {
  const c0 = cpuSeconds(pid);
  const h0 = hostJiffies();
  const t0 = performance.now();
  await sleep(ms);
  const ours = ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000) / HOST_CORES) * 100;
  const h1 = hostJiffies();
  const host = ((h1.busy - h0.busy) / (h1.total - h0.total)) * 100;
  return { ours, others: Math.max(0, host - ours) };
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function waitHealthy(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`web-stress exited with ${child.exitCode} before it was healthy`);
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // not listening yet: keep polling until the deadline
    }
    await sleep(5);
  }
  throw new Error(`web-stress not healthy after ${timeoutMs} ms`);
}

async function allocatedMb(base: string): Promise<number> {
  const metrics = await getJson(`${base}/metrics`);
  const memory = (metrics.active_stress as { kind: string; detail: { allocated_mb: number } }[]).find((s) => s.kind === 'memory');
  return memory?.detail.allocated_mb ?? 0;
}

const fmt = (value: number, digits = 1) => value.toFixed(digits);

function startWebStress(port: number): { child: ChildProcess; pid: number } {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_NAME: 'bench', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (child.pid === undefined) throw new Error('could not start web-stress');
  return { child, pid: child.pid };
}

/** A temporary cgroup v1 pair (cpu with a quota, cpuacct for its own counter) holding one process. */
async function cgroupSection(cores: number): Promise<void> {
  const name = `web-stress-bench-${process.pid}`;
  const cpuDir = `/sys/fs/cgroup/cpu/${name}`;
  const acctDir = `/sys/fs/cgroup/cpuacct/${name}`;
  if (!existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') || !existsSync('/sys/fs/cgroup/cpuacct/cpuacct.usage')) {
    console.log('--cgroup-cpu: no cgroup v1 cpu + cpuacct mounts here, skipped');
    return;
  }
  mkdirSync(cpuDir);
  mkdirSync(acctDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server: { child: ChildProcess; pid: number } | null = null;
  try {
    writeFileSync(`${cpuDir}/cpu.cfs_period_us`, '100000');
    writeFileSync(`${cpuDir}/cpu.cfs_quota_us`, String(Math.round(cores * 100000)));
    // moved before its first tick: the app reads its limit from its own cgroup at start
    server = startWebStress(port);
    writeFileSync(`${cpuDir}/cgroup.procs`, String(server.pid));
    writeFileSync(`${acctDir}/cgroup.procs`, String(server.pid));
    await waitHealthy(base, server.child, 10_000);
    const usage = () => Number(readFileSync(`${acctDir}/cpuacct.usage`, 'utf8')) / 1e9;
    const table = new Table({ head: [`CPU target (% of ${cores} CPU quota)`, 'achieved (cgroup cpuacct)', 'error', 'app /metrics says', 'rest of host busy'] });
    for (const target of [25, 50, 80]) {
      await getJson(`${base}/stress/cpu?target=${target}&duration=30&ramp=0`);
      await sleep(3000);
      await getJson(`${base}/metrics`);
      const u0 = usage();
      const t0 = performance.now();
      const { others } = await cpuPercent(server.pid, 5000);
      const achieved = ((usage() - u0) / ((performance.now() - t0) / 1000) / cores) * 100;
      const appSays = (await getJson(`${base}/metrics`)).cpu_percent as number;
      await getJson(`${base}/stress/stop`);
      table.push([target, `${fmt(achieved)} %`, `${achieved - target >= 0 ? '+' : ''}${fmt(achieved - target)}`, `${fmt(appSays)} %`, `${fmt(others)} %`]);
      await sleep(500);
    }
    console.log(table.toString());
  } finally {
    if (server && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server?.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
    }
    rmdirSync(cpuDir);
    rmdirSync(acctDir);
  }
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} not found: run \`npm run build\` first`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const { child, pid } = startWebStress(port);
  try {
    await waitHealthy(base, child, 10_000);
    const startMs = performance.now() - t0;
    await sleep(1000); // let start-up work (JIT, first GC) settle before calling it idle
    const idleCpu = (await cpuPercent(pid, 5000)).ours;
    const idleRss = rssMb(pid);

    const footprint = new Table({ head: ['measure', 'value', 'target'] });
    footprint.push(
      ['start to healthy', `${fmt(startMs, 0)} ms`, '< 1000 ms'],
      ['idle CPU (5 s, % of one core)', `${fmt(idleCpu * HOST_CORES, 2)} %`, '< 2 %'],
      ['idle RSS', `${fmt(idleRss)} MB`, '< 80 MB'],
    );
    console.log(footprint.toString());

    const cpuTable = new Table({ head: [`CPU target (% of ${HOST_CORES} cores)`, 'achieved (/proc)', 'error', 'app /metrics says', 'rest of host busy'] });
    for (const target of [25, 50, 80]) {
      await getJson(`${base}/stress/cpu?target=${target}&duration=30&ramp=0`);
      await sleep(3000); // let the closed loop settle
      await getJson(`${base}/metrics`); // start the app's own window here
      const { ours: achieved, others } = await cpuPercent(pid, 5000);
      const appSays = (await getJson(`${base}/metrics`)).cpu_percent as number;
      await getJson(`${base}/stress/stop`);
      cpuTable.push([target, `${fmt(achieved)} %`, `${achieved - target >= 0 ? '+' : ''}${fmt(achieved - target)}`, `${fmt(appSays)} %`, `${fmt(others)} %`]);
      await sleep(500);
    }
    console.log(cpuTable.toString());

    const memTable = new Table({ head: ['memory target', 'RSS above idle', 'error', 'fill time', 'RSS 1 s after stop'] });
    for (const target of [100, 200]) {
      const before = rssMb(pid);
      const m0 = performance.now();
      await getJson(`${base}/stress/memory?target=${target}&duration=30&ramp=0`);
      while ((await allocatedMb(base)) < target) {
        if (performance.now() - m0 > 15_000) throw new Error(`memory stress did not reach ${target} MB in 15 s`);
        await sleep(20);
      }
      const fillMs = performance.now() - m0;
      await sleep(300);
      const above = rssMb(pid) - before;
      await getJson(`${base}/stress/stop`);
      await sleep(1000);
      memTable.push([`${target} MB`, `${fmt(above)} MB`, `${above - target >= 0 ? '+' : ''}${fmt(above - target)}`, `${fmt(fillMs, 0)} ms`, `${fmt(rssMb(pid))} MB`]);
    }
    console.log(memTable.toString());
    console.log('network 10/20/50 Mbps: skipped locally, it needs a NETWORK_SINK and a non-loopback interface (the lab).');

    const s0 = performance.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    console.log(`SIGTERM to exit: ${fmt(performance.now() - s0, 0)} ms (exit code ${code})`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const cgroupArg = process.argv.find((arg) => arg.startsWith('--cgroup-cpu='));
  if (cgroupArg) {
    const cores = Number(cgroupArg.split('=')[1]);
    if (!(cores > 0 && cores <= HOST_CORES)) throw new Error(`${cgroupArg}: expected cores between 0 and ${HOST_CORES}`);
    await cgroupSection(cores);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
