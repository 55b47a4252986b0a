import { describe, expect, it } from 'vitest';
import { computeMetrics, countersOf, formatDockerTime, limitCores, memoryOf, parseDockerTime, roundMetrics } from '../src/metrics.ts';
import { rawStats, T_START } from './fakes.ts';

const MiB = 1024 * 1024;
const noLimit = { nanoCpus: 0, cpuQuota: 0, cpuPeriod: 0 };

function between(a: Parameters<typeof rawStats>[0], b: Parameters<typeof rawStats>[0], cores: number, link = 100) {
  const ra = rawStats(a);
  const rb = rawStats(b);
  return computeMetrics(countersOf(ra, 0), countersOf(rb, 0), rb, cores, link);
}

describe('parseDockerTime', () => {
  it('keeps sub-millisecond digits of RFC 3339 nano timestamps', () => {
    expect(parseDockerTime('2026-11-22T10:00:00.123456789Z')).toBeCloseTo(Date.parse('2026-11-22T10:00:00Z') + 123.456789, 6);
    expect(parseDockerTime('2026-11-22T10:00:00+01:00')).toBe(Date.parse('2026-11-22T09:00:00Z'));
  });
  it('treats Go zero time and junk as unknown', () => {
    expect(parseDockerTime('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(parseDockerTime('yesterday')).toBeUndefined();
    expect(parseDockerTime(undefined)).toBeUndefined();
  });
  it('falls back to the agent clock when the daemon gives no read time', () => {
    expect(countersOf(rawStats({ cpuNs: 5 }), 42).t).toBe(42);
    expect(countersOf(rawStats({ cpuNs: 5, t: T_START }), 42).t).toBe(T_START);
  });
});

describe('formatDockerTime', () => {
  it('writes microsecond digits that parseDockerTime reads back', () => {
    const t = Date.parse('2026-11-22T10:00:00.123Z') + 0.456;
    expect(formatDockerTime(t)).toBe('2026-11-22T10:00:00.123456Z');
    expect(parseDockerTime(formatDockerTime(t))).toBeCloseTo(t, 3);
    expect(formatDockerTime(Date.parse('2026-11-22T10:00:00Z') + 0.5)).toBe('2026-11-22T10:00:00.000500Z');
  });
});

describe('limitCores', () => {
  it('uses NanoCpus first', () => {
    expect(limitCores({ nanoCpus: 500_000_000, cpuQuota: 200_000, cpuPeriod: 100_000 }, 4)).toBe(0.5);
  });
  it('uses CpuQuota / CpuPeriod, with the kernel default period when the period is 0', () => {
    expect(limitCores({ nanoCpus: 0, cpuQuota: 150_000, cpuPeriod: 100_000 }, 4)).toBe(1.5);
    expect(limitCores({ nanoCpus: 0, cpuQuota: 50_000, cpuPeriod: 0 }, 4)).toBe(0.5);
  });
  it('falls back to node cores and caps limits above them', () => {
    expect(limitCores(noLimit, 4)).toBe(4);
    expect(limitCores(null, 2)).toBe(2);
    expect(limitCores({ nanoCpus: 8e9, cpuQuota: 0, cpuPeriod: 0 }, 4)).toBe(4);
  });
});

describe('CPU %', () => {
  it('is Δcpu / (Δwall × limit cores): 0.425 s of CPU in 1 s on a 0.5 CPU limit is 85 %', () => {
    const m = between({ t: T_START, cpuNs: 1e9 }, { t: T_START + 1000, cpuNs: 1e9 + 425e6 }, limitCores({ nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 }, 4));
    expect(m?.cpu).toBeCloseTo(85, 6);
  });
  it('without a limit is relative to all node cores', () => {
    const m = between({ t: T_START, cpuNs: 0 }, { t: T_START + 2000, cpuNs: 2e9 }, 4);
    expect(m?.cpu).toBeCloseTo(25, 6);
  });
  it('uses the real interval between reads, not the nominal poll interval', () => {
    const m = between({ t: T_START, cpuNs: 0 }, { t: T_START + 1250, cpuNs: 0.5e9 }, 1);
    expect(m?.cpu).toBeCloseTo(40, 6);
  });
  it('is clamped to 0–100 (bursts over the CFS quota within one period)', () => {
    const m = between({ t: T_START, cpuNs: 0 }, { t: T_START + 1000, cpuNs: 0.7e9 }, 0.5);
    expect(m?.cpu).toBe(100);
  });
  it('skips the sample when a counter went backwards or time did not advance', () => {
    expect(between({ t: T_START, cpuNs: 5e9 }, { t: T_START + 1000, cpuNs: 1e9 }, 1)).toBeNull();
    expect(between({ t: T_START, cpuNs: 0, rx: 1000 }, { t: T_START + 1000, cpuNs: 1, rx: 10 }, 1)).toBeNull();
    expect(between({ t: T_START, cpuNs: 0 }, { t: T_START, cpuNs: 1e6 }, 1)).toBeNull();
  });
});

describe('memory %', () => {
  it('subtracts inactive_file (cgroup v2)', () => {
    const m = memoryOf(rawStats({ cpuNs: 0, usage: 300 * MiB, inactive: 100 * MiB, limit: 400 * MiB }));
    expect(m.mem).toBeCloseTo(50, 6);
    expect(m.mem_mb).toBeCloseTo(200, 6);
  });
  it('subtracts total_inactive_file (cgroup v1)', () => {
    const m = memoryOf(rawStats({ cpuNs: 0, usage: 300 * MiB, inactive: 60 * MiB, limit: 480 * MiB, cgroup: 'v1' }));
    expect(m.mem).toBeCloseTo(50, 6);
  });
  it('ignores an inactive_file larger than usage and an absent limit', () => {
    expect(memoryOf(rawStats({ cpuNs: 0, usage: 10 * MiB, inactive: 20 * MiB, limit: 100 * MiB })).mem_mb).toBeCloseTo(10, 6);
    expect(memoryOf(rawStats({ cpuNs: 0, usage: 10 * MiB })).mem).toBe(0);
    expect(memoryOf({}).mem_mb).toBe(0);
  });
});

describe('network', () => {
  it('sums rx/tx over all networks and converts bytes per interval to Mbps and % of the link', () => {
    const a = rawStats({ t: T_START, cpuNs: 0 });
    const b = { ...rawStats({ t: T_START + 2000, cpuNs: 0 }), networks: { eth0: { rx_bytes: 1_000_000, tx_bytes: 250_000 }, eth1: { rx_bytes: 1_500_000, tx_bytes: 0 } } };
    const m = computeMetrics(countersOf(a, 0), countersOf(b, 0), b, 1, 100);
    expect(m?.rx).toBeCloseTo(10, 6); // 2.5 MB × 8 / 2 s
    expect(m?.tx).toBeCloseTo(1, 6);
    expect(m?.net).toBeCloseTo(11, 6); // 11 Mbps of 100
    const slowLink = computeMetrics(countersOf(a, 0), countersOf(b, 0), b, 1, 10);
    expect(slowLink?.net).toBeCloseTo(110, 6);
  });
  it('reads no traffic for containers without networks (host mode)', () => {
    const b = { ...rawStats({ t: T_START + 1000, cpuNs: 0 }), networks: undefined };
    expect(computeMetrics(countersOf(rawStats({ t: T_START, cpuNs: 0 }), 0), countersOf(b, 0), b, 1, 100)?.net).toBe(0);
  });
});

it('rounds wire metrics to one decimal', () => {
  expect(roundMetrics({ cpu: 86.149, mem: 31.25, mem_mb: 160.04, net: 2.1, rx: 1.26, tx: 0.94 })).toEqual({ cpu: 86.1, mem: 31.3, mem_mb: 160, net: 2.1, rx: 1.3, tx: 0.9 });
});
