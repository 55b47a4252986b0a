import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadJournal } from './journal.ts';
import { JUNIT_FILE, renderJunit } from './junit.ts';
import { renderReport, writeCharts } from './report.ts';
import { writeRunCharts } from './run-charts.ts';
import { renderRunSummary, SUMMARY_FILE } from './run-summary.ts';

/**
 * Renders `<outDir>/<run-id>.md` (and the charts, summary.json and junit.xml under the run's raw folder) from the
 * raw data alone, so that `harness/report.mjs results/raw/<run-id>` gives the very same files again.
 */
export async function writeReport(runDir: string, outDir = path.dirname(path.dirname(runDir))): Promise<string> {
  const journal = await loadJournal(runDir);
  await writeCharts(journal, runDir);
  await writeRunCharts(journal, runDir);
  await writeFile(path.join(runDir, JUNIT_FILE), renderJunit(journal));
  await writeFile(path.join(runDir, SUMMARY_FILE), renderRunSummary(journal));
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${journal.runId}.md`);
  await writeFile(file, renderReport(journal));
  return file;
}
