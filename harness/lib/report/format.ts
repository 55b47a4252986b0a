/** Number and markdown formatting for reports: one rule per kind of value, so tables read alike. */

/** Durations: under a second in ms with 1 decimal, from a second on in s with 2 decimals. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (Math.abs(ms) >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(1)} ms`;
}

export function formatPct(pct: number | null | undefined): string {
  return pct === null || pct === undefined ? '—' : `${pct.toFixed(1)} %`;
}

/** Any metric by its key's convention: *_ms durations, *_pct percentages, counts as integers. */
export function formatMetric(key: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (key.endsWith('_ms')) return formatMs(value);
  if (key.endsWith('_pct')) return formatPct(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** How many iterations a statistic rests on: "3" when all had a value, "2 of 3" when one had none. */
export function formatCount(n: number, m: number): string {
  return n === m ? String(n) : `${n} of ${m}`;
}

const LABELS: Readonly<Record<string, string>> = {
  mttr_ms: 'MTTR',
  downtime_ms: 'downtime',
  failed_requests: 'failed requests',
  t1_t0_ms: 'T1−T0 (detect → alert)',
  t2_t1_ms: 'T2−T1 (alert latency)',
  t3_t2_ms: 'T3−T2 (decision)',
  t4_t3_ms: 'T4−T3 (to Docker call)',
  t5_t4_ms: 'T5−T4 (replacement ready)',
  t6_t5_ms: 'T6−T5 (old task removed)',
  scale_up_max_ms: 'slowest scale-up T5−T4',
  alert_latency_max_ms: 'max alert latency T2−T1',
  decision_latency_max_ms: 'max decision latency T3−T2',
};

/** Canonical order of the metrics in tables; others follow alphabetically. */
export const METRIC_ORDER = Object.keys(LABELS);

export function metricLabel(key: string): string {
  return LABELS[key] ?? key;
}

export function orderMetrics(keys: Iterable<string>): string[] {
  const set = new Set(keys);
  return [...METRIC_ORDER.filter((k) => set.has(k)), ...[...set].filter((k) => !METRIC_ORDER.includes(k)).sort()];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured markdown table; `align` per column: 'l' or 'r'. */
export function mdTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: string): string {
  const a = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r')).join('');
  const sep = header.map((_, i) => (a[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}
