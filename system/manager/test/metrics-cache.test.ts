import { describe, expect, it } from 'vitest';
import type { Report } from '../../shared/alert-schema.ts';
import { MetricsCache } from '../src/metrics-cache.ts';

const m = { cpu: 10, mem: 20, mem_mb: 100, net: 1, rx: 0.5, tx: 0.5 };
const report = (node: string, t: number, containers: string[]): Report => ({
  node,
  t,
  containers: containers.map((c) => ({ service: `svc-${c}`, container: `${c.padEnd(12, '0')}ffff`, task: `task-${c}`, m })),
});
const cached = (cache: MetricsCache, now: number) => cache.fresh(now).map((e) => `${e.node}:${e.container.slice(0, 3)}`);

describe('MetricsCache', () => {
  it("a report replaces everything its node reported before, and nothing of another node's", () => {
    const cache = new MetricsCache(10_000);
    cache.put(report('w1', 1, ['aa1', 'aa2', 'aa3']), 1000);
    cache.put(report('w2', 1, ['bb1']), 1000);
    cache.put(report('w1', 2, ['aa2', 'aa4']), 2000);
    expect(cached(cache, 2000)).toEqual(['w2:bb1', 'w1:aa2', 'w1:aa4']);
    cache.put(report('w1', 3, []), 3000);
    expect(cached(cache, 3000)).toEqual(['w2:bb1']);
  });

  it('keeps a container another node reported since, when its first node reports again', () => {
    const cache = new MetricsCache(10_000);
    cache.put(report('w1', 1, ['cc1', 'cc2']), 1000);
    cache.put(report('w2', 1, ['cc2']), 1000);
    cache.put(report('w1', 2, ['cc1']), 2000);
    expect(cached(cache, 2000)).toEqual(['w2:cc2', 'w1:cc1']);
  });

  it('keys containers by their short id and drops expired entries, also ones a later report would have replaced', () => {
    const cache = new MetricsCache(1000);
    cache.put(report('w1', 1, ['dd1']), 1000);
    expect(cache.fresh(1000)[0]).toMatchObject({ container: 'dd1000000000', service: 'svc-dd1', task: 'task-dd1', t: 1, receivedAt: 1000 });
    expect(cached(cache, 2001)).toEqual([]);
    cache.put(report('w1', 2, ['dd2']), 3000);
    expect(cached(cache, 3000)).toEqual(['w1:dd2']);
    expect(cache.reportingNodes(3000)).toEqual(new Map([['w1', 3000]]));
  });
});
