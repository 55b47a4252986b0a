import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseFlags, UsageError } from './script-args.ts';
import { runCli, helpFlag } from './cli-common.ts';
import { writeReport } from '../report/report-files.ts';
import { exitHelp } from './exit-codes.ts';

const HELP = `usage: npx zx harness/report.mjs results/raw/<run-id> [--out results]
  Renders <out>/<run-id>.md and <out>/<run-id>.html, and the charts, summary.json and junit.xml
  in the run folder, from the run's journal.json and probes.csv alone; the same raw data always
  gives the same files.
${exitHelp({ ok: 'written', errors: 'a journal.json that cannot be read or is not a valid journal' })}`;

export function main(argv: string[]): Promise<number> {
  return runCli('report', HELP, async () => {
    const { values, positionals } = parseFlags(argv, { out: { type: 'string' }, help: helpFlag });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one run folder, e.g. results/raw/2026-11-22T19-05-00Z-1a2b3c4');
    const runDir = path.resolve(positionals[0]);
    if (!existsSync(path.join(runDir, 'journal.json'))) throw new UsageError(`${positionals[0]} has no journal.json`);
    const file = await writeReport(runDir, values.out ? path.resolve(values.out) : undefined);
    console.log(file);
    return 0;
  });
}
