import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadJournal } from './journal.ts';
import { JUNIT_FILE, renderJunit } from './junit.ts';
import { imageLinks, renderHtml } from './report-html.ts';
import { renderReport, writeCharts } from './report.ts';
import { writeRunCharts } from './run-charts.ts';
import { renderRunSummary, SUMMARY_FILE } from './run-summary.ts';

/**
 * Renders `<outDir>/<run-id>.md` and `<outDir>/<run-id>.html` (and the charts, summary.json and
 * junit.xml under the run's raw folder) from the raw data alone, so that `harness/report.mjs
 * results/raw/<run-id>` gives the very same files again. Returns the markdown file.
 */
export async function writeReport(runDir: string, outDir = path.dirname(path.dirname(runDir))): Promise<string> {
  const journal = await loadJournal(runDir);
  await writeCharts(journal, runDir);
  await writeRunCharts(journal, runDir);
  await writeFile(path.join(runDir, JUNIT_FILE), renderJunit(journal));
  await writeFile(path.join(runDir, SUMMARY_FILE), renderRunSummary(journal));
  await mkdir(outDir, { recursive: true });
  const markdown = renderReport(journal);
  const file = path.join(outDir, `${journal.runId}.md`);
  await writeFile(file, markdown);
  // the links say raw/<run-id>/charts/<file> relative to the report; the files are in this run's folder, wherever --out put the report
  const svgs = new Map<string, string>();
  for (const link of imageLinks(markdown)) svgs.set(link, await readFile(path.join(runDir, 'charts', path.basename(link)), 'utf8'));
  await writeFile(path.join(outDir, `${journal.runId}.html`), renderHtml(markdown, svgs));
  return file;
}
