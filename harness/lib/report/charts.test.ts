import { describe, expect, it } from 'vitest';
import { availabilityChart, replicasChart, resourcesChart } from './charts.ts';
import { niceTicks, num } from './svg.ts';
import type { ContainerPoint, ProbeSample } from '../config/types.ts';

/** Checks that tags nest and close, attributes are quoted and there is one <svg> root. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  let roots = 0;
  const text = svg.replace(/<title>[^<]*<\/title>/g, '');
  for (const m of text.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) {
      if (stack.length === 0) roots += 1;
      stack.push(name);
    } else if (stack.length === 0) roots += 1;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  // every '<' belongs to a tag the pattern accepted (no stray or malformed markup)
  const tags = text.match(/<[^>]*>/g) ?? [];
  const accepted = [...text.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)].length;
  expect(accepted).toBe(tags.length);
  expect(text.split('<').length - 1).toBe(tags.length);
}

const T = 1_795_373_000_000;
const samples: ProbeSample[] = Array.from({ length: 50 }, (_, i) => ({
  seq: i,
  sentAt: T + i * 100,
  status: i >= 20 && i < 25 ? 0 : 200,
  ok: !(i >= 20 && i < 25),
  latencyMs: 3 + (i % 7),
  servedBy: i < 25 ? 'old' : 'new',
  node: 'w1',
}));
const marks = [
  { label: 'T0', t: T + 1000 }, { label: 'T1', t: T + 1001 }, { label: 'T2', t: T + 1003 },
  { label: 'T5', t: T + 3000 }, { label: 'T6', t: T + 4000 }, { label: 'kill <9>', t: T + 1950 },
];

describe('availabilityChart', () => {
  const svg = availabilityChart('scenario1 #1 & availability', [{ source: 'control', samples }], marks);

  it('is well-formed and escapes text', () => {
    expectWellFormed(svg);
    expect(svg).toContain('scenario1 #1 &amp; availability');
    expect(svg).toContain('kill &lt;9&gt;');
  });

  it('draws one strip cell per sample, failures in red, and every mark', () => {
    expect(svg.match(/class="ok"/g)).toHaveLength(45);
    expect(svg.match(/class="fail"[^>]*fill="#d62728"/g)).toHaveLength(5);
    expect(svg.match(/class="mark"/g)).toHaveLength(6);
    for (const m of marks) expect(svg).toContain(`>${m.label.replace('<', '&lt;').replace('>', '&gt;')}</text>`);
    expect(svg.match(/class="latency"/g)).toHaveLength(2); // broken at the outage
  });

  it('is deterministic', () => {
    expect(availabilityChart('scenario1 #1 & availability', [{ source: 'control', samples: [...samples].reverse() }], [...marks].reverse())).toBe(svg);
  });

  it('handles no samples', () => {
    expectWellFormed(availabilityChart('empty', []));
  });
});

describe('replicasChart', () => {
  it('draws a step line with a horizontal then vertical segment per change', () => {
    const svg = replicasChart('replicas', [{ t: T, replicas: 1 }, { t: T + 10_000, replicas: 2 }, { t: T + 20_000, replicas: 3 }], [{ label: 'T5', t: T + 10_000 }]);
    expectWellFormed(svg);
    const points = /class="replicas"/.test(svg) ? svg.match(/<polyline points="([^"]+)"/)![1].split(' ') : [];
    expect(points).toHaveLength(5);
    expect(points[1].split(',')[1]).toBe(points[0].split(',')[1]); // holds 1 until the change
    expect(points[2].split(',')[0]).toBe(points[1].split(',')[0]); // then steps up vertically
    expect(svg).toContain('>T5</text>');
  });
});

describe('resourcesChart', () => {
  it('draws three panels with one line per container and a legend', () => {
    const pts: ContainerPoint[] = ['c2', 'c1'].flatMap((container, k) =>
      Array.from({ length: 5 }, (_, i) => ({ t: T + i * 1000, container, cpu: 10 * i + k, memMb: 100 + i, rxMbps: 1, txMbps: 2 })));
    const svg = resourcesChart('resources', pts);
    expectWellFormed(svg);
    expect(svg.match(/class="series"/g)).toHaveLength(6);
    expect(svg).toContain('>CPU (%)</text>');
    expect(svg).toContain('>network rx+tx (Mbps)</text>');
    expect(svg.indexOf('>c1</text>')).toBeLessThan(svg.indexOf('>c2</text>'));
    expect(resourcesChart('resources', [...pts].reverse())).toBe(svg);
  });
});

describe('svg helpers', () => {
  it('formats without negative zero and picks round ticks', () => {
    expect(num(-0.04)).toBe('0.0');
    expect(niceTicks(0, 9.3, 5)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(0, 0.35, 4)).toEqual([0, 0.1, 0.2, 0.3]);
  });
});
