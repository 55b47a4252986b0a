import type { IterationRecord, JournalData, SloVerdictRecord } from './journal-schema.ts';

export const JUNIT_FILE = 'junit.xml';

// Characters XML 1.0 cannot carry even escaped (an ANSI colour code in an error text would make
// the whole file unreadable to a CI's parser): they are written out as \u escapes instead.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function clean(s: string): string {
  return s.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function xmlText(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value: quotes escaped, and line breaks as references, which a parser would otherwise turn into spaces. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** JUnit's timestamp: ISO 8601 without a zone (its schema's pattern); the harness's clocks are UTC. */
const timestamp = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 19);

/** "s1-no-failed-requests: failed_requests measured 3, limit == 0 (Scenario 1: no failed requests)" */
function verdictLine(v: SloVerdictRecord): string {
  const limit = v.limit === null ? '?' : `${v.op ?? ''} ${v.limit}`.trim();
  const what = v.description ? ` (${v.description})` : '';
  const why = v.reason ? `; ${v.reason}` : '';
  return `${v.name}: ${v.metric ?? v.name} measured ${v.value ?? 'nothing'}, limit ${limit}${what}${why}`;
}

function testcase(it: IterationRecord): string {
  const head = `    <testcase${attrs({ name: `${it.experiment} #${it.iteration}`, classname: it.experiment, time: seconds(it.endedAt - it.startedAt) })}`;
  if (it.outcome === 'passed') return `${head}/>`;
  const failedSlos = it.slo.filter((v) => v.pass === false);
  const body = [...failedSlos.map(verdictLine), ...(it.error ? [it.error] : [])].join('\n');
  let element: string;
  if (it.outcome === 'error') {
    element = `<error${attrs({ type: 'error', message: it.error ?? 'the iteration could not be completed' })}>${xmlText(body)}</error>`;
  } else {
    const message = failedSlos.length
      ? `SLO failed: ${failedSlos.map((v) => v.name).join(', ')}${it.error ? `; ${it.error}` : ''}`
      : (it.error ?? 'the iteration failed its checks');
    element = `<failure${attrs({ type: failedSlos.length ? 'slo' : 'check', message })}>${xmlText(body)}</failure>`;
  }
  return `${head}>\n      ${element}\n    </testcase>`;
}

/**
 * The run's verdicts as JUnit XML for CI: one testsuite per experiment (in the order they ran),
 * one testcase per iteration. An iteration that failed an SLO or its checks is a <failure> naming
 * the SLOs with their values and limits; one that could not be completed is an <error>. Built from
 * the journal alone, so the same journal always gives the same bytes.
 */
export function renderJunit(j: JournalData): string {
  const experiments = [...new Set(j.iterations.map((i) => i.experiment))];
  const count = (its: readonly IterationRecord[], outcome: IterationRecord['outcome']) => its.filter((i) => i.outcome === outcome).length;
  const totalMs = (its: readonly IterationRecord[]) => its.reduce((sum, i) => sum + Math.max(0, i.endedAt - i.startedAt), 0);
  const run = { run_id: j.runId, git_commit: j.meta.gitCommit, config_hash: j.meta.configHash, lab: j.meta.lab };
  const properties = Object.entries(run)
    .map(([name, value]) => `      <property${attrs({ name, value })}/>`)
    .join('\n');
  const suites = experiments.map((e) => {
    const its = j.iterations.filter((i) => i.experiment === e);
    const head = attrs({
      name: e,
      tests: its.length,
      failures: count(its, 'failed'),
      errors: count(its, 'error'),
      skipped: 0,
      time: seconds(totalMs(its)),
      timestamp: timestamp(Math.min(...its.map((i) => i.startedAt))),
    });
    return `  <testsuite${head}>\n    <properties>\n${properties}\n    </properties>\n${its.map(testcase).join('\n')}\n  </testsuite>`;
  });
  const all = j.iterations;
  const root = attrs({ name: `swarmguard ${j.runId}`, tests: all.length, failures: count(all, 'failed'), errors: count(all, 'error'), time: seconds(totalMs(all)) });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${root}>\n${suites.map((s) => `${s}\n`).join('')}</testsuites>\n`;
}
