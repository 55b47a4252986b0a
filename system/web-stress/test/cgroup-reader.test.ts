import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsCgroupReader, parseNetDev } from '../src/cgroup-reader.ts';
import { createCpuMeter } from '../src/cpu-meter.ts';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999      29    0    0    0     0          0         0   999999      29    0    0    0     0       0          0
  eth0: 1000    10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:   30     1    0    0    0     0          0         0       40       1    0    0    0     0       0          0
`;

let roots: string[] = [];
afterEach(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  roots = [];
});

/** A fake /sys/fs/cgroup and /proc in a temp dir. */
function fakeRoot(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'web-stress-cgroup-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return new FsCgroupReader({ sysRoot: join(root, 'sys'), procRoot: join(root, 'proc') });
}

describe('FsCgroupReader, cgroup v2 (container with its own namespace)', () => {
  const v2 = {
    'sys/cgroup.controllers': 'cpu memory',
    'sys/cpu.max': '50000 100000',
    'sys/cpu.stat': 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456',
    'sys/memory.current': String(300 * 1024 * 1024),
    'sys/memory.max': String(512 * 1024 * 1024),
    'sys/memory.stat': `anon 1000\ninactive_file ${100 * 1024 * 1024}\nactive_file 5`,
    'proc/self/cgroup': '0::/',
    'proc/net/dev': NET_DEV,
  };

  it('reads the quota, the usage counter and memory', () => {
    const reader = fakeRoot(v2);
    expect(reader.version).toBe(2);
    expect(reader.cpuLimitCores()).toBe(0.5);
    expect(reader.cpuUsageMicros()).toBe(123456);
    expect(reader.memory()).toEqual({ usageBytes: 300 * 1024 * 1024, inactiveFileBytes: 100 * 1024 * 1024, limitBytes: 512 * 1024 * 1024 });
    expect(reader.netDev()).toEqual({ rxBytes: 1030, txBytes: 2040 });
  });

  it('answers null for "max" limits', () => {
    const reader = fakeRoot({ ...v2, 'sys/cpu.max': 'max 100000', 'sys/memory.max': 'max' });
    expect(reader.cpuLimitCores()).toBeNull();
    expect(reader.memory()?.limitBytes).toBeNull();
  });

  it('follows /proc/self/cgroup to a nested cgroup (host view)', () => {
    const reader = fakeRoot({
      'sys/cgroup.controllers': 'cpu memory',
      'sys/cpu.stat': 'usage_usec 999999999',
      'sys/docker/abc/cpu.max': '150000 100000',
      'sys/docker/abc/cpu.stat': 'usage_usec 42',
      'sys/docker/abc/memory.current': '1000',
      'proc/self/cgroup': '0::/docker/abc',
    });
    expect(reader.cpuLimitCores()).toBe(1.5);
    expect(reader.cpuUsageMicros()).toBe(42);
    expect(reader.memory()).toMatchObject({ usageBytes: 1000, inactiveFileBytes: 0, limitBytes: null });
  });

  it('does not take the root cgroup (the whole host) for ours', () => {
    const reader = fakeRoot({ 'sys/cgroup.controllers': 'cpu memory', 'sys/cpu.stat': 'usage_usec 999', 'proc/self/cgroup': '0::/' });
    expect(reader.cpuUsageMicros()).toBeNull();
    expect(reader.memory()).toBeNull();
    expect(createCpuMeter(reader, () => 7, 4)).toMatchObject({ source: 'process', limitCores: 4 });
  });
});

describe('FsCgroupReader, cgroup v1', () => {
  it('reads cpu,cpuacct and memory of a container (mount = own cgroup)', () => {
    const reader = fakeRoot({
      'sys/cpu,cpuacct/cpu.cfs_quota_us': '50000',
      'sys/cpu,cpuacct/cpu.cfs_period_us': '100000',
      'sys/cpu,cpuacct/cpuacct.usage': '5000000',
      'sys/memory/memory.usage_in_bytes': '2000',
      'sys/memory/memory.limit_in_bytes': '268435456',
      'sys/memory/memory.stat': 'cache 10\ntotal_inactive_file 500\ninactive_file 400',
      'proc/self/cgroup': '4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n',
      'proc/net/dev': NET_DEV,
    });
    expect(reader.version).toBe(1);
    expect(reader.cpuLimitCores()).toBe(0.5);
    expect(reader.cpuUsageMicros()).toBe(5000);
    expect(reader.memory()).toEqual({ usageBytes: 2000, inactiveFileBytes: 500, limitBytes: 268435456 });
    const meter = createCpuMeter(reader, () => 1, 8);
    expect(meter).toMatchObject({ source: 'cgroup', limitCores: 0.5 });
    expect(meter.usageMicros()).toBe(5000);
  });

  it('treats -1 quota and the page-rounded LONG_MAX limit as unlimited', () => {
    const reader = fakeRoot({
      'sys/cpu/cpu.cfs_quota_us': '-1',
      'sys/cpu/cpu.cfs_period_us': '100000',
      'sys/cpuacct/cpuacct.usage': '1000',
      'sys/memory/memory.usage_in_bytes': '2000',
      'sys/memory/memory.limit_in_bytes': '9223372036854771712',
      'proc/self/cgroup': '3:cpuacct:/\n2:cpu:/\n1:memory:/',
    });
    expect(reader.cpuLimitCores()).toBeNull();
    expect(reader.memory()?.limitBytes).toBeNull();
  });

  it('ignores root hierarchies (cgroup.sane_behavior) and uses a nested own cgroup', () => {
    const reader = fakeRoot({
      'sys/cpuacct/cgroup.sane_behavior': '0',
      'sys/cpuacct/cpuacct.usage': '999999999',
      'sys/memory/cgroup.sane_behavior': '0',
      'sys/memory/memory.usage_in_bytes': '999999999',
      'sys/memory/sandbox/memory.usage_in_bytes': '4096',
      'sys/memory/sandbox/memory.limit_in_bytes': '1048576',
      'proc/self/cgroup': '4:memory:/sandbox\n2:cpuacct:/',
    });
    expect(reader.cpuUsageMicros()).toBeNull();
    expect(reader.memory()).toMatchObject({ usageBytes: 4096, limitBytes: 1048576 });
  });
});

describe('FsCgroupReader without a cgroup filesystem', () => {
  it('answers null and zero counters instead of throwing', () => {
    const reader = new FsCgroupReader({ sysRoot: '/nonexistent/sys', procRoot: '/nonexistent/proc' });
    expect(reader.version).toBeNull();
    expect(reader.cpuLimitCores()).toBeNull();
    expect(reader.cpuUsageMicros()).toBeNull();
    expect(reader.memory()).toBeNull();
    expect(reader.netDev()).toEqual({ rxBytes: 0, txBytes: 0 });
  });
});

describe('parseNetDev', () => {
  it('sums every interface but lo', () => {
    expect(parseNetDev(NET_DEV)).toEqual({ rxBytes: 1030, txBytes: 2040 });
  });
});
