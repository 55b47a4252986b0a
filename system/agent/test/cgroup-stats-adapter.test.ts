import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent.ts';
import { CgroupStatsAdapter } from '../src/cgroup-stats-adapter.ts';
import { resolveCgroupDir } from '../src/cgroup-files.ts';
import { parseDockerTime } from '../src/metrics.ts';
import { FakeDaemon, FakeHost, MEM_TOTAL_KB } from './fake-host.ts';
import { container, FakeClock, hexId, quietEvents, RecordingAlertSink, RecordingMetricsSink, RecordingReportSink, rules } from './fakes.ts';

const MiB = 1024 * 1024;
const UNLIMITED_V1 = 9_223_372_036_854_771_712;

let host: FakeHost;
afterEach(() => host?.cleanup());

/** A container of node worker-1 as the local lab lays it out: memory under an extra prefix. */
function labV1(host: FakeHost, id: string, pid: number) {
  const dirs = { cpuacct: host.cg('cpuacct', 'sg-worker-1', id), memory: host.cg('memory', 'process_api', 'abc', 'sg-worker-1', id) };
  host.process(pid, [
    `4:memory:/process_api/abc/sg-worker-1/${id}`,
    `2:cpuacct:/sg-worker-1/${id}`,
    `1:cpu:/sg-worker-1/${id}`,
    `0::/sg-worker-1/${id}`,
  ]);
  return dirs;
}

function setup() {
  host = new FakeHost();
  const daemon = new FakeDaemon();
  const clock = new FakeClock();
  const port = new CgroupStatsAdapter(daemon, host.paths, () => clock.now(), host.open);
  return { daemon, clock, port };
}

describe('CgroupStatsAdapter, cgroup v1', () => {
  it('reads CPU, memory and network counters into the stats shape the agent consumes', async () => {
    const { daemon, clock, port } = setup();
    const id = hexId(1);
    const dirs = labV1(host, id, 501);
    host.v1(dirs, { cpuNs: 123_456_789, usage: 300 * MiB, limit: 512 * MiB, inactive: 100 * MiB });
    host.net(501, { eth0: { rx: 1000, tx: 2000 }, eth1: { rx: 5, tx: 7 } });
    daemon.add(container(1).ref, 501);
    const raw = await port.stats(id);
    expect(raw).toEqual({
      read: expect.any(String),
      cpu_stats: { cpu_usage: { total_usage: 123_456_789 } },
      memory_stats: { usage: 300 * MiB, limit: 512 * MiB, stats: { total_inactive_file: 100 * MiB } },
      networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 }, eth1: { rx_bytes: 5, tx_bytes: 7 } },
    });
    expect(parseDockerTime(raw!.read)).toBeCloseTo(clock.t, 3);
  });

  it('caps an unlimited memory limit at the host’s MemTotal, as the daemon does', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    host.v1(labV1(host, id, 501), { cpuNs: 1, usage: 10 * MiB, limit: UNLIMITED_V1, inactive: 0 });
    daemon.add(container(1).ref, 501);
    expect((await port.stats(id))?.memory_stats?.limit).toBe(MEM_TOTAL_KB * 1024);
  });

  it('finds a co-mounted cpu,cpuacct hierarchy under the cgroupfs driver’s docker/<id>', async () => {
    const { daemon, port } = setup();
    const id = hexId(2);
    host.process(600, [`5:memory:/docker/${id}`, `3:cpu,cpuacct:/docker/${id}`, `1:name=systemd:/docker/${id}`]);
    host.v1({ cpuacct: host.cg('cpu,cpuacct', 'docker', id), memory: host.cg('memory', 'docker', id) }, { cpuNs: 42, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(2).ref, 600);
    expect((await port.stats(id))?.cpu_stats?.cpu_usage?.total_usage).toBe(42);
  });

  it('inspects a container once for pid and CPU limits, not every sample', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    host.v1(labV1(host, id, 501), { cpuNs: 1, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(1).ref, 501, { nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 });
    expect(await port.cpuLimits(id)).toEqual({ nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 });
    for (let i = 0; i < 3; i++) expect(await port.stats(id)).not.toBeNull();
    expect(daemon.inspects).toBe(1);
  });

  it('answers null, not an error, for a container that vanished (process and cgroup gone)', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    const dirs = labV1(host, id, 501);
    host.v1(dirs, { cpuNs: 1, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(1).ref, 501);
    expect(await port.stats(id)).not.toBeNull();
    // gone between listing and sampling: its cgroup first, then the daemon forgets it
    host.remove(dirs.memory);
    daemon.containers.delete(id);
    expect(await port.stats(id)).toBeNull();
    host.remove(join(host.paths.proc, '501'));
    expect(await port.stats(id)).toBeNull();
    expect(await port.cpuLimits(id)).toBeNull();
  });

  it('answers null for a container that exists but is not running (pid 0)', async () => {
    const { daemon, port } = setup();
    daemon.add(container(3).ref, 0);
    expect(await port.stats(hexId(3))).toBeNull();
  });

  it('re-inspects when the cached pid is no longer the container’s (restart under the same id, counters reset)', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    const dirs = labV1(host, id, 501);
    host.v1(dirs, { cpuNs: 9_000_000_000, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(1).ref, 501);
    expect((await port.stats(id))?.cpu_stats?.cpu_usage?.total_usage).toBe(9_000_000_000);
    // restarted: new init process, the cgroup recreated with fresh counters, and pid 501 reused elsewhere
    labV1(host, id, 777);
    host.v1(dirs, { cpuNs: 5_000, usage: 1, limit: 2, inactive: 0 });
    host.process(501, ['2:cpuacct:/user.slice', '4:memory:/user.slice']);
    daemon.add(container(1).ref, 777);
    expect((await port.stats(id))?.cpu_stats?.cpu_usage?.total_usage).toBe(5_000);
    expect(daemon.inspects).toBe(2);
  });

  it('names the container, pid and folder when its cgroup cannot be found', async () => {
    const { daemon, port } = setup();
    const id = hexId(4);
    host.process(900, [`2:cpuacct:/elsewhere/${id}`, `4:memory:/elsewhere/${id}`]);
    host.write(host.cg('cpuacct', 'README'), 'x');
    host.write(host.cg('memory', 'README'), 'x');
    daemon.add(container(4).ref, 900);
    await expect(port.stats(id)).rejects.toThrow(new RegExp(`${id.slice(0, 12)} \\(pid 900\\): cgroup v1 folders not found: cpuacct .*/elsewhere/${id}`));
  });

  it('forgets the cached pids of containers that are no longer listed, and closes their files', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    host.v1(labV1(host, id, 501), { cpuNs: 1, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(1).ref, 501);
    await port.stats(id);
    expect(host.openFiles.size).toBe(6);
    daemon.containers.delete(id);
    expect(await port.listContainers()).toEqual([]);
    await Promise.resolve();
    expect(host.openFiles.size).toBe(0);
    daemon.add(container(1).ref, 501);
    await port.stats(id);
    expect(daemon.inspects).toBe(2);
    expect(host.openFiles.size).toBe(6);
    port.close();
    await Promise.resolve();
    expect(host.openFiles.size).toBe(0);
  });

  it('leaves no file open for a container that vanished or restarted', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    const dirs = labV1(host, id, 501);
    host.v1(dirs, { cpuNs: 1, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(1).ref, 501);
    await port.stats(id);
    labV1(host, id, 777); // restarted: pid 777 now
    host.remove(join(host.paths.proc, '501'));
    daemon.add(container(1).ref, 777);
    expect(await port.stats(id)).not.toBeNull();
    await Promise.resolve();
    expect([...host.openFiles].filter((f) => f.includes(`${join(host.paths.proc, '501')}/`))).toEqual([]);
    host.remove(dirs.memory); // now gone for good
    daemon.containers.delete(id);
    expect(await port.stats(id)).toBeNull();
    await Promise.resolve();
    expect(host.openFiles.size).toBe(0);
  });
});

describe('CgroupStatsAdapter, cgroup v2', () => {
  it('reads cpu.stat usage_usec, memory.current, memory.max and inactive_file', async () => {
    const { daemon, port } = setup();
    const id = hexId(5);
    const dir = host.cg('system.slice', `docker-${id}.scope`);
    host.process(700, [`0::/system.slice/docker-${id}.scope`], { eth0: { rx: 10, tx: 20 } });
    host.v2(dir, { cpuUs: 2_500_000, current: 64 * MiB, max: 256 * MiB, inactive: 4 * MiB });
    daemon.add(container(5).ref, 700);
    expect(await port.stats(id)).toMatchObject({
      cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
      memory_stats: { usage: 64 * MiB, limit: 256 * MiB, stats: { inactive_file: 4 * MiB } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20 } },
    });
    host.v2(dir, { cpuUs: 2_600_000, current: 64 * MiB, max: 'max', inactive: 0 });
    expect((await port.stats(id))?.memory_stats?.limit).toBe(MEM_TOTAL_KB * 1024);
  });

  it('finds the folder from a path relative to a private cgroup namespace (/../docker-<id>.scope)', async () => {
    const { daemon, port } = setup();
    const id = hexId(6);
    host.process(710, [`0::/../docker-${id}.scope`]);
    host.v2(host.cg('system.slice', `docker-${id}.scope`), { cpuUs: 7, current: 1, max: 2, inactive: 0 });
    daemon.add(container(6).ref, 710);
    expect((await port.stats(id))?.cpu_stats?.cpu_usage?.total_usage).toBe(7000);
  });
});

describe('resolveCgroupDir', () => {
  it('joins an absolute path and answers null for a missing folder', () => {
    host = new FakeHost();
    host.write(host.cg('docker', 'abc', 'cpu.stat'), '');
    expect(resolveCgroupDir(host.paths.cgroup, '/docker/abc')).toBe(host.cg('docker', 'abc'));
    expect(resolveCgroupDir(host.paths.cgroup, '/docker/zzz')).toBeNull();
    expect(resolveCgroupDir(host.paths.cgroup, '/../../zzz')).toBeNull();
  });
});

describe('CgroupStatsAdapter probe', () => {
  it('is not usable without the host mounts, and says which path is missing', async () => {
    const { port } = setup();
    const bare = new CgroupStatsAdapter(new FakeDaemon(), { proc: join(host.root, 'nope'), cgroup: host.paths.cgroup }, Date.now, host.open);
    expect(await bare.probe()).toEqual({ ok: false, reason: expect.stringContaining(`${join(host.root, 'nope', 'meminfo')} not readable`) });
    expect(await port.probe()).toEqual({ ok: true });
  });

  it('tries a running container’s counters, skipping one that vanished', async () => {
    const { daemon, port } = setup();
    const id = hexId(1);
    host.v1(labV1(host, id, 501), { cpuNs: 1, usage: 1, limit: 2, inactive: 0 });
    daemon.add(container(1).ref, 501);
    expect(await port.probe([hexId(9), id])).toEqual({ ok: true, checked: id });
    host.process(902, ['2:cpuacct:/x', '4:memory:/x']);
    daemon.add(container(7).ref, 902);
    expect(await port.probe([hexId(7)])).toEqual({ ok: false, reason: expect.stringContaining('cgroup v1') });
  });
});

describe('Agent over the cgroup files', () => {
  it('computes CPU % of the limit, memory % without inactive_file, Mbps; skips a sample after a reset and a vanished container', async () => {
    const { daemon, clock, port } = setup();
    const events = quietEvents();
    const agent = new Agent({
      port,
      alerts: new RecordingAlertSink(clock),
      reports: new RecordingReportSink(),
      metrics: new RecordingMetricsSink(),
      events,
      clock,
      node: { name: 'worker-1', cores: 4 },
      rules: rules(),
    });
    const id = hexId(1);
    const other = hexId(2);
    const dirs = labV1(host, id, 501);
    const otherDirs = labV1(host, other, 502);
    daemon.add(container(1).ref, 501, { nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 });
    daemon.add(container(2).ref, 502);
    host.v1(otherDirs, { cpuNs: 0, usage: 1, limit: 2, inactive: 0 });
    const at = (cpuNs: number, rx: number) => {
      host.v1(dirs, { cpuNs, usage: 300 * MiB, limit: 400 * MiB, inactive: 100 * MiB });
      host.net(501, { eth0: { rx, tx: 0 } });
    };
    at(0, 0);
    expect((await agent.runCycle()).samples).toEqual([]); // baselines
    clock.advance(1000);
    at(400_000_000, 1_250_000); // 0.4 s of CPU in 1 s at a 0.5-CPU limit; 10 Mbit received
    // the other container vanishes: gone from /proc and from the daemon, but still in this cycle's list
    host.remove(join(host.paths.proc, '502'));
    host.remove(otherDirs.cpuacct);
    const cycle = agent.runCycle();
    daemon.containers.delete(other);
    const { samples } = await cycle;
    expect(samples).toHaveLength(1);
    expect(samples[0].m.cpu).toBeCloseTo(80, 6);
    expect(samples[0].m.mem).toBeCloseTo(50, 6);
    expect(samples[0].m.rx).toBeCloseTo(10, 6);

    clock.advance(1000);
    at(1_000, 1_250_000); // counter reset: skipped
    expect((await agent.runCycle()).samples).toEqual([]);
    clock.advance(1000);
    at(100_001_000, 1_250_000); // 0.1 s of CPU since the reset: 20 % of 0.5 CPU
    expect((await agent.runCycle()).samples[0].m.cpu).toBeCloseTo(20, 6);
    expect(events.since(0).filter((e) => e.event === 'agent_error')).toEqual([]);
  });
});
