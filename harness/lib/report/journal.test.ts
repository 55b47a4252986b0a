import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IterationRecord, JournalMeta } from './journal-schema.ts';
import { configHash, Journal, loadJournal, loadProbeRows, makeRunId, measurementConditions } from './journal.ts';
import { parseLab } from '../config/lab-config.ts';
import { formatProbeRows, parseProbeCsv, PROBE_CSV_HEADER } from './probe-csv.ts';

const meta: JournalMeta = {
  gitCommit: 'a0fcbb8', versions: { node: 'v20.20.2', docker: '27.3.1' }, lab: 'local (4 nodes)',
  configHash: 'c0ffee123456', startedAt: '2026-11-22T19:05:00.000Z',
};

function iteration(n: number): IterationRecord {
  return {
    experiment: 'scenario1', iteration: n, params: { stress: 'cpu', target: 90 },
    startedAt: 1_795_373_000_000 + n * 60_000, endedAt: 1_795_373_030_000 + n * 60_000,
    events: [{ component: 'agent', node: 'w1', event: 'breach_detected', phase: 'T0', t: 1_795_373_001_000, alertId: 'a' }],
    probes: { summary: { samples: 2, failed: 1, downtimeMs: 100 } },
    outcome: 'failed', measurements: { mttr_ms: 4200.5, downtime_ms: 100, failed_requests: 1 },
    slo: [{ name: 's1-no-downtime', limit: 0, value: 100, pass: false }],
  };
}

const samples = [
  { seq: 0, sentAt: 1_795_373_000_000.25, status: 200, ok: true, latencyMs: 3.5, servedBy: 'c1', node: 'w1' },
  { seq: 1, sentAt: 1_795_373_000_100.5, status: 0, ok: false, latencyMs: 1000, servedBy: null, node: null, error: 'timeout, "slow"' },
];

let root: string;
beforeEach(async () => (root = await mkdtemp(path.join(os.tmpdir(), 'journal-'))));
afterEach(async () => rm(root, { recursive: true, force: true }));

describe('run ids and hashes', () => {
  it('formats a sortable run id and a short config hash', () => {
    expect(makeRunId(new Date('2026-11-22T19:05:00.789Z'), 'seed')).toMatch(/^2026-11-22T19-05-00Z-[0-9a-f]{7}$/);
    expect(makeRunId(new Date(0), 'a')).not.toBe(makeRunId(new Date(0), 'b'));
    expect(configHash('x: 1\n')).toHaveLength(12);
  });
});

describe('Journal', () => {
  it('writes journal.json after every iteration and probes.csv run-wide', async () => {
    const journal = await Journal.create(root, meta);
    expect(journal.runId).toMatch(/^2026-11-22T19-05-00Z-/);
    expect(await loadJournal(journal.dir)).toMatchObject({ iterations: [] });
    await journal.addIteration(iteration(1), [{ source: 'control', samples }]);
    // what a killed run leaves: the first iteration is on disk before the second starts
    expect((await loadJournal(journal.dir)).iterations).toHaveLength(1);
    await journal.addIteration(iteration(2));
    await journal.updateMeta({ endedAt: '2026-11-22T19:09:00.000Z' });
    const loaded = await loadJournal(journal.dir);
    expect(loaded.iterations.map((i) => i.probes.samplesFile)).toEqual(['probes.csv', undefined]);
    expect(loaded.meta.endedAt).toBe('2026-11-22T19:09:00.000Z');
    expect(loaded).toEqual(journal.toJSON());
    const rows = await loadProbeRows(journal.dir);
    expect(rows).toEqual(samples.map((s) => ({ ...s, experiment: 'scenario1', iteration: 1, source: 'control' })));
    expect((await readdir(journal.dir)).sort()).toEqual(['journal.json', 'probes.csv']); // no tmp files left
  });

  it('never reuses a run directory and refuses an invalid iteration naming the key', async () => {
    const journal = await Journal.create(root, meta, '2026-11-22T19-05-00Z-abcdef0');
    await expect(Journal.create(root, meta, '2026-11-22T19-05-00Z-abcdef0')).rejects.toThrow(/already exists/);
    const bad = { ...iteration(1), iteration: 0 };
    await expect(journal.addIteration(bad)).rejects.toThrow(/iterations\.0\.iteration: got 0/);
    await journal.addIteration(iteration(1)); // the refused one left nothing behind
    expect((await loadJournal(journal.dir)).iterations.map((i) => i.iteration)).toEqual([1]);
  });
});

describe('loadJournal', () => {
  it('names the bad key and the file', async () => {
    const journal = await Journal.create(root, meta);
    const file = path.join(journal.dir, 'journal.json');
    const data = JSON.parse(await readFile(file, 'utf8'));
    data.meta.configHash = 42;
    await writeFile(file, JSON.stringify(data));
    await expect(loadJournal(journal.dir)).rejects.toThrow(/journal\.json is not a valid journal:\nmeta\.configHash: got 42/);
    await writeFile(file, '{ nope');
    await expect(loadJournal(journal.dir)).rejects.toThrow(/journal\.json is not valid JSON/);
  });
});

describe('probe CSV', () => {
  it('round-trips quoted fields and rejects a bad number with its line', () => {
    const rows = [{ ...samples[1], experiment: 'e,1', iteration: 3, source: 'lg "1"' }];
    const text = `${PROBE_CSV_HEADER}\n${formatProbeRows(rows)}`;
    expect(parseProbeCsv(text)).toEqual(rows);
    expect(() => parseProbeCsv(`${PROBE_CSV_HEADER}\ne,x,control,0,1,200,1,1,,,\n`)).toThrow(/line 2: iteration is "x"/);
    expect(() => parseProbeCsv('a,b\n')).toThrow(/header is "a,b"/);
  });
});

describe('measurementConditions', () => {
  it("records the entrypoint's retry policy, the drain and the probe path from lab.yaml, and round-trips them", async () => {
    const lab = parseLab(await readFile('lab.yaml', 'utf8'));
    const conditions = measurementConditions(lab);
    expect(conditions).toEqual({
      entrypointRetries: lab.entrypoint_balancer.retries,
      drainMs: lab.app.drain_ms ?? lab.entrypoint_balancer.check_interval_ms * (lab.entrypoint_balancer.fall + 1),
      probePath: lab.experiments.probe_path,
    });
    const journal = await Journal.create(root, { ...meta, ...conditions });
    expect((await loadJournal(journal.dir)).meta).toMatchObject(conditions);
  });

  it('rejects a retry policy the balancer does not have, naming the key', async () => {
    await expect(Journal.create(root, { ...meta, entrypointRetries: 'sometimes' } as unknown as JournalMeta)).rejects.toThrow(/entrypointRetries/);
  });
});
