import { describe, expect, it } from 'vitest';
import type { ColumnReport } from '../../shared/alert-schema.ts';
import { toColumns } from '../../shared/parse-report.ts';
import { MetricsCache } from '../src/metrics-cache.ts';

const m = { cpu: 10, mem: 20, mem_mb: 100, net: 1, rx: 0.5, tx: 0.5 };
const report = (node: string, t: number, containers: string[]): ColumnReport =>
  toColumns({ node, t, containers: containers.map((c) => ({ service: `svc-${c.slice(0, 2)}`, container: `${c.padEnd(12, '0')}ffff`, task: `task-${c}`, m: { ...m, cpu: Number(c.slice(2)) } })) });
const cached = (cache: MetricsCache, now: number) => cache.fresh(now).map((e) => `${e.node}:${e.container.slice(0, 3)}`);

describe('MetricsCache', () => {
  it("a report replaces everything its node reported before, and nothing of another node's", () => {
    const cache = new MetricsCache(10_000);
    cache.put(report('w1', 1, ['aa1', 'aa2', 'aa3']), 1000);
    cache.put(report('w2', 1, ['bb1']), 1000);
    cache.put(report('w1', 2, ['aa2', 'aa4']), 2000);
    expect(cached(cache, 2000)).toEqual(['w2:bb1', 'w1:aa2', 'w1:aa4']);
    expect(cache.freshCount(2000)).toBe(3);
    cache.put(report('w1', 3, []), 3000);
    expect(cached(cache, 3000)).toEqual(['w2:bb1']);
  });

  it('a container two nodes list counts for each, until one of them stops listing it', () => {
    const cache = new MetricsCache(10_000);
    cache.put(report('w1', 1, ['cc1', 'cc2']), 1000);
    cache.put(report('w2', 1, ['cc2']), 1000);
    expect(cached(cache, 1000)).toEqual(['w1:cc1', 'w1:cc2', 'w2:cc2']);
    cache.put(report('w1', 2, ['cc1']), 2000);
    expect(cached(cache, 2000)).toEqual(['w2:cc2', 'w1:cc1']);
  });

  it('makes entries by short id, and drops expired reports', () => {
    const cache = new MetricsCache(1000);
    cache.put(report('w1', 1, ['dd1']), 1000);
    expect(cache.fresh(1000)).toEqual([{ node: 'w1', container: 'dd1000000000', service: 'svc-dd', task: 'task-dd1', m: { ...m, cpu: 1 }, t: 1, receivedAt: 1000 }]);
    expect(cached(cache, 2001)).toEqual([]);
    cache.put(report('w1', 2, ['dd2']), 3000);
    expect(cached(cache, 3000)).toEqual(['w1:dd2']);
    expect(cache.reportingNodes(3000)).toEqual(new Map([['w1', 3000]]));
  });

  it("forService finds a service's containers on every node; nodeLoads sums cpu + memory of each node's", () => {
    const cache = new MetricsCache(1000);
    cache.put(report('w1', 1, ['ee1', 'ff2', 'ee3']), 1000);
    cache.put(report('w2', 1, ['ee4']), 1000);
    cache.put(report('w3', 1, ['ff5']), 500); // expired at 1600
    expect(cache.forService('svc-ee', 1600).map((e) => `${e.node}:${e.container.slice(0, 3)}:${e.m.cpu}`)).toEqual(['w1:ee1:1', 'w1:ee3:3', 'w2:ee4:4']);
    expect(cache.forService('svc-ff', 1600).map((e) => e.node)).toEqual(['w1']);
    expect(cache.nodeLoads(1600)).toEqual(new Map([['w1', { load: 1 + 2 + 3 + 3 * 20 }], ['w2', { load: 4 + 20 }]]));
  });
});
