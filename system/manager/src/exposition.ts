/**
 * The Prometheus text exposition format (version 0.0.4), hand-written: counters, gauges and
 * histograms with labels are all the manager needs, and a dependency for them would be larger than
 * this file. Recording is a map update; the text is built only when /metrics is scraped.
 */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

export function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function header(name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** A counter with labels; each label set is one series, in the order first seen. */
export class Counter {
  private readonly series = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
    initial: readonly Labels[] = [],
  ) {
    // series that exist from the start read 0 instead of being absent until their first event
    for (const labels of initial) this.series.set(labelText(labels), 0);
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }

  value(labels: Labels = {}): number {
    return this.series.get(labelText(labels)) ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, 'counter');
    for (const [key, v] of this.series) out += `${this.name}${key} ${sampleValue(v)}\n`;
    return out;
  }
}

/** A gauge read at scrape time: the values are whatever the caller measures now. */
export function renderGauge(name: string, help: string, samples: readonly [Labels, number][]): string {
  let out = header(name, help, 'gauge');
  for (const [labels, v] of samples) out += `${name}${labelText(labels)} ${sampleValue(v)}\n`;
  return out;
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram with fixed upper bounds (seconds, ascending); `+Inf` is implied. */
export class Histogram {
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`histogram ${name}: bounds must ascend, got ${bounds.join(', ')}`);
    }
  }

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  count(labels: Labels): number {
    return this.series.get(labelText(labels))?.count ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram');
    for (const [key, s] of this.series) {
      let cumulative = 0;
      const le = [...this.bounds.map(sampleValue), '+Inf'];
      le.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket${labelText({ ...s.labels, le: bound })} ${cumulative}\n`;
      });
      out += `${this.name}_sum${key} ${sampleValue(s.sum)}\n${this.name}_count${key} ${s.count}\n`;
    }
    return out;
  }
}
