import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from './journal.ts';
import { FIXTURE_RUN_ID, makeFixtureJournal } from './report-fixture.ts';
import { writeReport } from './report-files.ts';
import { runSummarySchema, SUMMARY_FILE } from './run-summary.ts';

let root: string;
let journal: Journal;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'report-files-'));
  journal = await makeFixtureJournal(path.join(root, 'raw'));
});
afterEach(async () => rm(root, { recursive: true, force: true }));

/** Every file writeReport made, by path relative to the results folder, with its bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  const out = new Map<string, string>();
  for (const f of files.filter((x) => x.isFile()).sort((a, b) => path.join(a.parentPath, a.name).localeCompare(path.join(b.parentPath, b.name)))) {
    const full = path.join(f.parentPath, f.name);
    out.set(path.relative(dir, full), await readFile(full, 'utf8'));
  }
  return out;
}

describe('writeReport', () => {
  it('writes the markdown and HTML reports, summary.json and every chart, the same bytes on a second render', async () => {
    const md = await writeReport(journal.dir);
    expect(md).toBe(path.join(root, `${FIXTURE_RUN_ID}.md`));
    const first = await snapshot(root);
    expect([...first.keys()].filter((k) => !k.startsWith('raw')).sort()).toEqual([`${FIXTURE_RUN_ID}.html`, `${FIXTURE_RUN_ID}.md`]);
    const charts = [...first.keys()].filter((k) => k.includes('/charts/')).map((k) => path.basename(k)).sort();
    expect(charts).toEqual(['baseline-1-availability.svg', 'downtime-distribution.svg', 'mttr-distribution.svg', 'phase-breakdown.svg']);
    runSummarySchema.parse(JSON.parse(first.get(path.join('raw', FIXTURE_RUN_ID, SUMMARY_FILE))!));
    await writeReport(journal.dir);
    expect(await snapshot(root)).toEqual(first);
  });

  it('inlines every figure the markdown links into the HTML, also when --out puts the reports elsewhere', async () => {
    const out = path.join(root, 'elsewhere');
    await writeReport(journal.dir, out);
    const md = await readFile(path.join(out, `${FIXTURE_RUN_ID}.md`), 'utf8');
    const html = await readFile(path.join(out, `${FIXTURE_RUN_ID}.html`), 'utf8');
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links).toHaveLength(4);
    expect(html.split('<svg ').length - 1).toBe(links.length);
    for (const link of links) expect(html).toContain(await readFile(path.join(journal.dir, 'charts', path.basename(link)), 'utf8').then((s) => s.trim()));
    expect(html).toContain('<th class="r">Mann–Whitney U</th>');
  });

  it('renders a copied run folder to the same bytes (nothing depends on where or when it renders)', async () => {
    await writeReport(journal.dir);
    const copy = path.join(root, 'copy');
    await cp(journal.dir, path.join(copy, 'raw', FIXTURE_RUN_ID), { recursive: true });
    await writeReport(path.join(copy, 'raw', FIXTURE_RUN_ID));
    const a = await snapshot(root);
    const b = await snapshot(copy);
    for (const [k, v] of b) expect(v, k).toBe(a.get(k));
  });
});
