import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IterationRecord, JournalData } from './journal-schema.ts';
import { Journal } from './journal.ts';
import { JUNIT_FILE, renderJunit, xmlAttr, xmlText } from './junit.ts';
import { writeReport } from './report-files.ts';

const T = Date.UTC(2026, 10, 22, 19, 5, 0);

function iteration(experiment: string, n: number, durationMs: number, extra: Partial<IterationRecord> = {}): IterationRecord {
  const startedAt = T + n * 100_000 + (experiment === 'baseline' ? 0 : 1_000_000);
  return {
    experiment, iteration: n, params: {}, startedAt, endedAt: startedAt + durationMs, events: [],
    probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } }, outcome: 'passed', measurements: {}, slo: [], ...extra,
  };
}

const meta = { gitCommit: '467f390', versions: { node: 'v20' }, lab: 'local & <test>', configHash: '0123456789ab', startedAt: '2026-11-22T19:05:00.000Z' };

function journal(iterations: IterationRecord[]): JournalData {
  return { runId: '2026-11-22T19-05-00Z-abc1234', meta, iterations };
}

const s1Failed = iteration('scenario1', 1, 6_250.4, {
  outcome: 'failed',
  slo: [
    { name: 's1-mttr-under-10s', metric: 'mttr_ms', op: '<', limit: 10_000, value: 4000, pass: true, description: 'MTTR < 10 s' },
    { name: 's1-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, value: 3, pass: false, description: 'Scenario 1: no failed requests' },
    { name: 's1-mttr-below-baseline', metric: 'mttr_ms', op: '<', limit: null, value: 4000, pass: false, reason: 'no baseline mttr_ms was measured' },
  ],
});
const s1Error = iteration('scenario1', 2, 1_000, { outcome: 'error', error: 'task not healthy after 30000 ms on worker-2: "x" < y & z\n\u001b[31mred\u001b[0m' });
const checksFailed = iteration('bad-input', 1, 500, { outcome: 'failed', error: 'manager /health not 200 afterwards' });

describe('renderJunit', () => {
  it('one testsuite per experiment in run order, one testcase per iteration, failures and errors with their reasons', () => {
    const xml = renderJunit(journal([iteration('baseline', 1, 42_500), iteration('baseline', 2, 40_000), s1Failed, s1Error, checksFailed]));
    const props = [
      '    <properties>',
      '      <property name="run_id" value="2026-11-22T19-05-00Z-abc1234"/>',
      '      <property name="git_commit" value="467f390"/>',
      '      <property name="config_hash" value="0123456789ab"/>',
      '      <property name="lab" value="local &amp; &lt;test&gt;"/>',
      '    </properties>',
    ];
    expect(xml).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="swarmguard 2026-11-22T19-05-00Z-abc1234" tests="5" failures="2" errors="1" time="90.250">',
        '  <testsuite name="baseline" tests="2" failures="0" errors="0" skipped="0" time="82.500" timestamp="2026-11-22T19:06:40">',
        ...props,
        '    <testcase name="baseline #1" classname="baseline" time="42.500"/>',
        '    <testcase name="baseline #2" classname="baseline" time="40.000"/>',
        '  </testsuite>',
        '  <testsuite name="scenario1" tests="2" failures="1" errors="1" skipped="0" time="7.250" timestamp="2026-11-22T19:23:20">',
        ...props,
        '    <testcase name="scenario1 #1" classname="scenario1" time="6.250">',
        '      <failure type="slo" message="SLO failed: s1-no-failed-requests, s1-mttr-below-baseline">' +
          's1-no-failed-requests: failed_requests measured 3, limit == 0 (Scenario 1: no failed requests)\n' +
          's1-mttr-below-baseline: mttr_ms measured 4000, limit ?; no baseline mttr_ms was measured</failure>',
        '    </testcase>',
        '    <testcase name="scenario1 #2" classname="scenario1" time="1.000">',
        '      <error type="error" message="task not healthy after 30000 ms on worker-2: &quot;x&quot; &lt; y &amp; z&#10;\\u001b[31mred\\u001b[0m">' +
          'task not healthy after 30000 ms on worker-2: "x" &lt; y &amp; z\n\\u001b[31mred\\u001b[0m</error>',
        '    </testcase>',
        '  </testsuite>',
        '  <testsuite name="bad-input" tests="1" failures="1" errors="0" skipped="0" time="0.500" timestamp="2026-11-22T19:23:20">',
        ...props,
        '    <testcase name="bad-input #1" classname="bad-input" time="0.500">',
        '      <failure type="check" message="manager /health not 200 afterwards">manager /health not 200 afterwards</failure>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('an empty run is an empty, valid document', () => {
    expect(renderJunit(journal([]))).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="swarmguard 2026-11-22T19-05-00Z-abc1234" tests="0" failures="0" errors="0" time="0.000">\n</testsuites>\n');
  });

  it('escapes markup, quotes and line breaks, and writes characters XML cannot hold as \\u escapes', () => {
    expect(xmlText(`a<b>&c "d" 'e'`)).toBe(`a&lt;b&gt;&amp;c "d" 'e'`);
    expect(xmlAttr(`a<b>&c "d" 'e'\n\tf\r`)).toBe('a&lt;b&gt;&amp;c &quot;d&quot; &apos;e&apos;&#10;&#9;f&#13;');
    expect(xmlText('nul\u0000 bell\u0007 ok\u00e9 \ud83d\ude00 lone\ud800 end\uffff')).toBe('nul\\u0000 bell\\u0007 ok\u00e9 \ud83d\ude00 lone\\ud800 end\\uffff');
  });
});

describe('writeReport', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes junit.xml next to journal.json, the same bytes again when regenerated', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'junit-'));
    const j = await Journal.create(path.join(root, 'raw'), meta, '2026-11-22T19-05-00Z-abc1234');
    await j.addIteration(iteration('baseline', 1, 42_500));
    await j.addIteration(s1Failed);
    const md = await writeReport(j.dir);
    expect(md).toBe(path.join(root, '2026-11-22T19-05-00Z-abc1234.md'));
    const first = await readFile(path.join(j.dir, JUNIT_FILE), 'utf8');
    expect(first).toBe(renderJunit(j.toJSON()));
    expect(first).toContain('<testcase name="scenario1 #1" classname="scenario1" time="6.250">');
    await writeReport(j.dir);
    expect(await readFile(path.join(j.dir, JUNIT_FILE), 'utf8')).toBe(first);
  });
});
