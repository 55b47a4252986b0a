import { BOOTSTRAP_RESAMPLES } from './bootstrap.ts';
import { BASELINE, comparisons, experimentsOf as experiments, iterationsOf as of, measured, proactiveExperiments, type MetricStats } from './comparison.ts';
import { DELTA_KEYS } from '../events/events.ts';
import { formatCount, formatMetric, formatMs, formatPct, mdTable, metricLabel, orderMetrics } from './format.ts';
import type { IterationRecord, JournalData } from './journal-schema.ts';
import { describeMethod, EXACT_MAX_N } from './rank-test.ts';
import { chartFiles } from './report-charts.ts';
import { runChartFiles, type RunChartKind } from './run-charts.ts';
import { improvementPct, summarizeIterations } from './stats.ts';
import type { IterationSummary, JitterReport } from '../config/types.ts';

export { chartFiles, writeCharts } from './report-charts.ts';

/** One metric over the iterations; every iteration counts in m, also one that has no value for it. */
function stat(its: readonly IterationRecord[], metric: string): IterationSummary {
  return summarizeIterations(its.map((i) => i.measurements[metric]));
}

const NOT_RECORDED = 'not recorded';

/** What each retry policy means for the failed-request figures (DESIGN.md §5). */
const RETRY_POLICY: Readonly<Record<NonNullable<JournalData['meta']['entrypointRetries']>, string>> = {
  none: "the balancer retries nothing, failed requests are the application's own",
  'conn-failure': 'the balancer retries refused or reset connections, so those are not counted as failed',
  all: 'the balancer retries refused connections, timeouts, empty answers and 502/503 on another server, so failed requests are what got past it',
};

function metadata(j: JournalData): string {
  const m = j.meta;
  const rows: string[][] = [
    ['run id', j.runId],
    ['date', m.endedAt ? `${m.startedAt} → ${m.endedAt}` : m.startedAt],
    ['git commit', m.gitCommit],
    ['lab', m.lab],
    ['config hash', m.configHash],
    ['entrypoint retries', m.entrypointRetries ? `${m.entrypointRetries}: ${RETRY_POLICY[m.entrypointRetries]}` : NOT_RECORDED],
    ['drain after SIGTERM', m.drainMs === undefined ? NOT_RECORDED : formatMs(m.drainMs)],
    ['probe path', m.probePath ?? NOT_RECORDED],
    ...(m.transports ? [['hosts reached by', Object.entries(m.transports).map(([h, t]) => `${h}: ${t}`).join('; ')]] : []),
    ...Object.keys(m.versions).sort().map((k) => [`version: ${k}`, m.versions[k]]),
  ];
  const known = new Set(['gitCommit', 'versions', 'lab', 'configHash', 'startedAt', 'endedAt', 'clockOffsets', 'entrypointRetries', 'drainMs', 'probePath', 'transports']);
  for (const k of Object.keys(m).filter((k) => !known.has(k)).sort()) rows.push([k, typeof m[k] === 'string' ? (m[k] as string) : JSON.stringify(m[k])]);
  return mdTable(['', ''], rows, 'll');
}

function sloSection(j: JournalData): string {
  const all = j.iterations.flatMap((it) => it.slo.map((v) => ({ it, v })));
  if (all.length === 0) return 'No SLO was evaluated in this run.';
  const failed = all.filter((x) => x.v.pass === false).length;
  const skipped = all.filter((x) => x.v.pass === null).length;
  const head = `**${failed === 0 ? 'All SLOs held' : `${failed} SLO check(s) failed`}**: ${all.length - failed - skipped} passed, ${failed} failed, ${skipped} not evaluated.`;
  const rows = all.map(({ it, v }) => {
    const metric = v.metric ?? v.name;
    const limit = v.limit === null ? '—' : `${v.op ?? ''} ${formatMetric(metric, v.limit)}`.trim();
    const verdict = v.pass === null ? 'not evaluated' : v.pass ? 'pass' : '**FAIL**';
    return [v.description ?? v.name, it.experiment, String(it.iteration), formatMetric(metric, v.value), limit, verdict + (v.reason ? ` (${v.reason})` : '')];
  });
  return `${head}\n\n${mdTable(['SLO', 'experiment', 'iteration', 'measured', 'limit', 'verdict'], rows, 'llrrrl')}`;
}

const SHORT_PARAM = 60;

function paramValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Each iteration's parameters: short ones on one line, long ones (load shapes, logs …) each in a block of their own. */
function paramsSection(j: JournalData, experiment: string): string {
  const its = of(j, experiment).filter((it) => Object.keys(it.params).length > 0);
  if (its.length === 0) return 'No parameters were recorded.';
  return its
    .map((it) => {
      const keys = Object.keys(it.params).sort();
      const short = keys.filter((k) => paramValue(it.params[k]).length <= SHORT_PARAM);
      const long = keys.filter((k) => !short.includes(k));
      const head = `**Iteration ${it.iteration}**${short.length ? `: ${short.map((k) => `${k}=${paramValue(it.params[k])}`).join(', ')}` : ''}`;
      const blocks = long.map((k) => `\`${k}\`:\n\n\`\`\`json\n${JSON.stringify(it.params[k], null, 2)}\n\`\`\``);
      return [head, ...blocks].join('\n\n');
    })
    .join('\n\n');
}

/**
 * A migration whose old task was gone before its replacement was ready: its MTTR ends at T5, and
 * the gap between T6 and T5 is when nothing of the old task served. Older journals have no such
 * parameter, but the manager's old_task_removed event carries the same flag.
 */
function goneBeforeReplacement(it: IterationRecord): boolean {
  return it.params.old_task_gone_before_replacement === true
    || it.events.some((e) => e.event === 'old_task_removed' && e.beforeReplacement === true);
}

/** What the figures of an iteration were measured under and a reader must weigh (e.g. a host run past its budget). */
function caveats(it: IterationRecord): string {
  const c = it.params.caveats;
  return Array.isArray(c) && c.length > 0 ? ` (measured under: ${c.map(String).join('; ')})` : '';
}

/**
 * Measurements an experiment took at two sizes of the lab (scale): base_<x> at the lab's own,
 * scaled_<x> grown. The x measured at both, in the order first seen.
 */
function sizePairs(its: readonly IterationRecord[]): string[] {
  const keys = new Set(its.flatMap((i) => Object.keys(i.measurements)));
  return [...keys].filter((k) => k.startsWith('base_') && keys.has(`scaled_${k.slice(5)}`)).map((k) => k.slice(5));
}

/** The measurements of the iterations' tables: all but those of the sizes table. */
function tableMetrics(its: readonly IterationRecord[]): string[] {
  const paired = new Set(sizePairs(its).flatMap((x) => [`base_${x}`, `scaled_${x}`]));
  return orderMetrics(its.flatMap((i) => Object.keys(i.measurements)).filter((k) => !paired.has(k)));
}

/** Each measurement taken at both sizes, side by side: the lab at its own size, and grown. */
function sizesSection(j: JournalData, experiment: string): string | undefined {
  const its = of(j, experiment);
  const pairs = sizePairs(its);
  if (pairs.length === 0) return undefined;
  const rows = its.flatMap((it) => pairs.map((x) => [String(it.iteration), x, formatMetric(x, it.measurements[`base_${x}`]), formatMetric(x, it.measurements[`scaled_${x}`])]));
  return mdTable(['iteration', 'measurement', 'lab at its own size', 'lab grown'], rows, 'llrr');
}

function iterationsSection(j: JournalData, experiment: string): string {
  const its = of(j, experiment);
  const metrics = tableMetrics(its);
  const rows = its.map((it) => [
    String(it.iteration),
    it.outcome + (it.error ? `: ${it.error}` : '') + (goneBeforeReplacement(it) ? ' (old task gone before the replacement was ready)' : '') + caveats(it),
    formatMs(it.endedAt - it.startedAt),
    ...metrics.map((k) => formatMetric(k, it.measurements[k])),
  ]);
  return mdTable(['iteration', 'outcome', 'duration', ...metrics.map(metricLabel)], rows, `llr${'r'.repeat(metrics.length)}`);
}

/**
 * Failed/total, downtime and send jitter of each probe source. A journal from before remote probes
 * has one summary without sources: it came from the control host, the only probe there was.
 */
function probeSourcesSection(j: JournalData, experiment: string): string {
  const rows: string[][] = [];
  for (const it of of(j, experiment)) {
    const s = it.probes.summary;
    const sources: Record<string, { samples: number; failed: number; downtimeMs: number; jitter?: JitterReport; clockOffsetMs?: number; clockUncertaintyMs?: number; clock?: string }> =
      s.sources ?? (s.samples > 0 ? { control: { samples: s.samples, failed: s.failed, downtimeMs: s.downtimeMs, jitter: s.jitter } } : {});
    for (const name of Object.keys(sources).sort((a, b) => (a === 'control' ? -1 : b === 'control' ? 1 : a.localeCompare(b)))) {
      const x = sources[name];
      const jit = x.jitter;
      const offset = x.clockOffsetMs !== undefined
        ? `${x.clockOffsetMs.toFixed(1)} ms ± ${(x.clockUncertaintyMs ?? 0).toFixed(1)} ms${x.clock ? ` (${x.clock})` : ''}`
        : name === 'control' ? 'reference' : '—';
      rows.push([String(it.iteration), name, `${x.failed} / ${x.samples}`, formatMs(x.downtimeMs), formatMs(jit?.meanMs), formatMs(jit?.p95Ms), formatMs(jit?.maxMs), jit ? String(jit.skipped) : '—', offset]);
    }
  }
  if (rows.length === 0) return 'No probe samples were recorded.';
  return mdTable(['iteration', 'source', 'failed / sent', 'downtime', 'jitter mean', 'jitter p95', 'jitter max', 'skipped sends', 'clock offset'], rows, 'llrrrrrrl');
}

function statsSection(j: JournalData, experiment: string): string {
  const its = of(j, experiment);
  const metrics = tableMetrics(its);
  const rows = metrics.map((k) => {
    const s = stat(its, k);
    const f = (v: number | null) => formatMetric(k, v);
    return [metricLabel(k), formatCount(s.n, s.m), f(s.mean), f(s.median), f(s.p95), f(s.min), f(s.max), f(s.stdev), s.ci95 ? `${f(s.ci95[0])} … ${f(s.ci95[1])}` : '—'];
  });
  return mdTable(['metric', 'n', 'mean', 'median', 'p95', 'min', 'max', 'stdev', '95 % CI of the mean'], rows);
}

/** " (over reactive 2 of 3)": an improvement computed without every iteration says over which ones. */
function incomplete(reactive: IterationSummary, proactive: IterationSummary): string {
  const parts = [
    ...(reactive.n < reactive.m ? [`reactive ${reactive.n} of ${reactive.m}`] : []),
    ...(proactive.n < proactive.m ? [`proactive ${proactive.n} of ${proactive.m}`] : []),
  ];
  return parts.length > 0 ? ` (over ${parts.join(', ')})` : '';
}

function withCi(metric: string, s: MetricStats): string {
  const median = formatMetric(metric, s.median);
  return s.medianCi95 ? `${median} [${formatMetric(metric, s.medianCi95[0])} … ${formatMetric(metric, s.medianCi95[1])}]` : median;
}

function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

function runFigures(j: JournalData, kinds: readonly RunChartKind[]): string {
  const links = runChartFiles(j).filter((f) => kinds.includes(f.kind)).map((f) => `![${f.title}](raw/${j.runId}/charts/${f.file})`);
  return links.join('\n\n');
}

const COMPARISON_NOTES = [
  `Medians carry their 95 % percentile bootstrap interval in brackets (${BOOTSTRAP_RESAMPLES} resamples, seeded by experiment and metric, so the same journal gives the same interval; none for fewer than two values).`,
  "U is the Mann–Whitney statistic of the proactive values against the reactive ones: the pairs in which the proactive value is the larger, ties counting ½; 0 means every proactive iteration was below every reactive one, and n_proactive × n_reactive the reverse.",
  `p is two-sided: exact = the exact distribution of U (no ties, at most ${EXACT_MAX_N} per side); normal = the normal approximation with tie and continuity correction. With two or three iterations a side even complete separation cannot reach p < 0.05 exactly: read p together with n.`,
].join(' ');

function comparisonSection(j: JournalData): string {
  if (of(j, BASELINE).length === 0 || proactiveExperiments(j).length === 0) return 'Needs the baseline and at least one proactive experiment in the same run.';
  const rows = comparisons(j).map(({ experiment, metric: k, reactive: r, proactive: p, rank }) => {
    const over = incomplete(r, p);
    const improvement = (x: number | null) => `${formatPct(x)}${over}`;
    return [
      metricLabel(k), experiment, formatCount(r.n, r.m), formatCount(p.n, p.m),
      formatMetric(k, r.mean), formatMetric(k, p.mean), improvement(improvementPct(p.mean, r.mean)),
      withCi(k, r), withCi(k, p), improvement(improvementPct(p.median, r.median)),
      rank ? String(rank.u) : '—', rank ? formatP(rank.p) : '—', rank ? describeMethod(rank.method) : '—',
    ];
  });
  const table = mdTable(
    ['metric', 'proactive', 'reactive n', 'proactive n', 'reactive mean', 'proactive mean', 'improvement (mean)', 'reactive median [95 % CI]', 'proactive median [95 % CI]', 'improvement (median)', 'Mann–Whitney U', 'p', 'test'],
    rows,
    'llrrrrrrrrrrl',
  );
  const figures = runFigures(j, ['mttr', 'downtime']);
  return [table, COMPARISON_NOTES, ...(figures ? [figures] : [])].join('\n\n');
}

function breakdownSection(j: JournalData): string {
  const rows: string[][] = [];
  for (const e of experiments(j)) {
    for (const k of ['mttr_ms', ...DELTA_KEYS]) {
      if (!measured(of(j, e), k) || (k === 'mttr_ms' && e === BASELINE)) continue;
      const s = stat(of(j, e), k);
      rows.push([e, metricLabel(k), formatCount(s.n, s.m), formatMs(s.mean), formatMs(s.median)]);
    }
  }
  if (rows.length === 0) return 'No T-events were recorded in this run.';
  const figure = runFigures(j, ['phases']);
  return [mdTable(['experiment', 'interval', 'n', 'mean', 'median'], rows, 'llrrr'), ...(figure ? [figure] : [])].join('\n\n');
}

function clockSection(j: JournalData): string {
  const offsets = j.meta.clockOffsets ?? [];
  if (offsets.length === 0) return 'No clock offsets were measured (all events come from the control host clock).';
  const rows = [...offsets].sort((a, b) => a.node.localeCompare(b.node)).map((o) => [o.node, `${o.offsetMs.toFixed(1)} ms`, `± ${o.uncertaintyMs.toFixed(1)} ms`, `${o.rttMs.toFixed(1)} ms`, String(o.samples)]);
  return `Offset = host clock − control host clock (round-trip midpoint of the fastest of the samples); every T-event was corrected by it.\n\n${mdTable(['node', 'offset', 'uncertainty', 'RTT', 'samples'], rows)}`;
}

function chartsSection(j: JournalData): string {
  const files = chartFiles(j);
  if (files.length === 0) return 'No chart data was recorded.';
  return files.map((f) => `![${f.experiment} #${f.iteration} ${f.kind}](raw/${j.runId}/charts/${f.file})`).join('\n\n');
}

function reliabilitySection(j: JournalData): string {
  const rows = (j.reliability ?? []).map((r) => [r.name, String(r.trials), String(r.passed), formatPct(r.trials > 0 ? (r.passed / r.trials) * 100 : null), r.notes ?? '']);
  return mdTable(['check', 'trials', 'passed', 'rate', 'notes'], rows, 'lrrrl');
}

function countsText(c: { accepted: number; actions: Record<string, number> } | null): string {
  if (!c) return '—';
  const actions = Object.entries(c.actions).map(([k, v]) => `${k} ${v}`);
  return [`accepted ${c.accepted}`, ...actions].join(', ');
}

/** Only for runs that scraped the manager's /metrics around each iteration (older journals did not). */
function managerCountsSection(j: JournalData): string | undefined {
  const checked = j.iterations.filter((it) => it.managerCounts);
  if (checked.length === 0) return undefined;
  const rows = checked.map((it) => {
    const c = it.managerCounts!;
    const verdict = c.match === null ? `not compared: ${c.note ?? ''}` : c.match ? 'match' : 'DIFFER';
    return [`${it.experiment} #${it.iteration}`, countsText(c.metrics), countsText(c.journal), verdict];
  });
  const matched = checked.filter((it) => it.managerCounts!.match === true).length;
  const differ = checked.filter((it) => it.managerCounts!.match === false).length;
  return [
    `The manager's /metrics was scraped before and after each iteration; its counters' increase (alerts acted on, actions started and ended by outcome) is set against the manager events the journal keeps for the iteration. ${matched} matched, ${differ} differed, ${checked.length - matched - differ} could not be compared (the manager not reachable, e.g. scaled to 0, or restarted after some of the events).`,
    mdTable(['iteration', '/metrics counted', 'journal holds', 'verdict'], rows),
  ].join('\n\n');
}

/** The run's markdown report (DESIGN.md §7). Pure: the same journal always gives the same bytes. */
export function renderReport(journal: JournalData): string {
  const parts = [
    `# SwarmGuard experiment report — ${journal.runId}`,
    '## Run',
    metadata(journal),
    '## SLO verdicts',
    sloSection(journal),
  ];
  for (const e of experiments(journal)) {
    const sizes = sizesSection(journal, e);
    parts.push(
      `## Experiment: ${e}`,
      ...(sizes ? ['### At two sizes of the lab', sizes] : []),
      '### Iterations',
      iterationsSection(journal, e),
      '### Probes by source',
      probeSourcesSection(journal, e),
      '### Statistics',
      statsSection(journal, e),
      '### Parameters',
      paramsSection(journal, e),
    );
  }
  parts.push(
    '## Proactive vs reactive',
    comparisonSection(journal),
    '## T0–T6 breakdown',
    breakdownSection(journal),
    '## Clock offsets',
    clockSection(journal),
    '## Charts',
    chartsSection(journal),
  );
  const counts = managerCountsSection(journal);
  if (counts) parts.push('## Manager /metrics against the journal', counts);
  if (journal.reliability) parts.push('## Reliability', reliabilitySection(journal));
  return `${parts.join('\n\n')}\n`;
}
