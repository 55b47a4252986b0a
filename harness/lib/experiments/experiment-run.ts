import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { $ } from 'zx';
import { stringify } from 'yaml';
import type { LabConfig } from '../config/lab-config.ts';
import { Journal, configHash, measurementConditions, nodeTransports } from '../report/journal.ts';
import type { IterationRecord } from '../report/journal-schema.ts';
import { judgeIteration } from './judge.ts';
import type { MeasurementRow } from '../report/slo.ts';
import { measureClockOffsets } from '../cluster/lab-clocks.ts';
import type { ClockOffset } from '../config/types.ts';
import { makeContext, type ExperimentContext, type IterationResult } from './context.ts';
import { writeReport } from '../report/report-files.ts';
import { SLOS } from './registry.ts';
import { resolveInfluxToken } from '../cluster/deploy.ts';
import { resultsStoreFor, type ResultsSink } from '../report/results-store.ts';
import { compareCounts, scrapeManagerCounters } from '../cluster/manager-counters.ts';

async function gitCommit(): Promise<string> {
  const r = await $({ nothrow: true, quiet: true })`git rev-parse --short=12 HEAD`;
  const dirty = (await $({ nothrow: true, quiet: true })`git status --porcelain --untracked-files=no`).stdout.trim();
  return r.exitCode === 0 ? `${r.stdout.trim()}${dirty ? '-dirty' : ''}` : 'unknown';
}

/**
 * One run of experiments: the journal they write to, the clock offsets they correct by, and the SLO
 * verdicts of each iteration (evaluated against the iterations of the same run so far, so the
 * baseline, which runs first, is the reference of the proactive MTTR).
 */
export class ExperimentRun {
  private readonly rows: MeasurementRow[] = [];

  private constructor(
    readonly ctx: ExperimentContext,
    readonly journal: Journal,
    readonly offsets: ClockOffset[],
    readonly outDir: string,
    private readonly results: ResultsSink,
  ) {}

  static async open(lab: LabConfig, opts: { labFile: string; outDir?: string; log?: (l: string) => void }): Promise<ExperimentRun> {
    const ctx = makeContext(lab, opts.log);
    const outDir = opts.outDir ?? 'results';
    const offsets = await measureClockOffsets(lab);
    const engine = await ctx.cluster.engineVersion();
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const labText = await readFile(opts.labFile, 'utf8');
    const journal = await Journal.create(join(outDir, 'raw'), {
      gitCommit: await gitCommit(),
      versions: { swarmguard: pkg.version, node: process.version, docker: `${engine.version} (API ${engine.apiVersion})` },
      lab: `${lab.name} (${lab.kind}, 1 manager + ${lab.swarm.workers.length} workers)`,
      configHash: configHash(`${labText}\n${stringify(lab.swarmguard.config)}`),
      startedAt: new Date().toISOString(),
      clockOffsets: offsets,
      transports: nodeTransports(lab),
      ...measurementConditions(lab),
    });
    const results = await resultsStoreFor(lab, () => resolveInfluxToken(lab));
    return new ExperimentRun(ctx, journal, offsets, outDir, results);
  }

  /** Runs one iteration, judges it against the SLOs and records it; an iteration that throws is recorded as an error. */
  async iteration(experiment: string, iteration: number, work: () => Promise<IterationResult>): Promise<IterationRecord> {
    let result: IterationResult;
    const startedAt = Date.now();
    const countersBefore = await scrapeManagerCounters(this.ctx.lab);
    try {
      result = await work();
    } catch (err) {
      const message = (err as Error).message;
      this.ctx.log(`${experiment} #${iteration}: ERROR ${message}`);
      result = {
        record: {
          experiment, iteration, params: {}, startedAt, endedAt: Date.now(), events: [],
          probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } }, outcome: 'error', error: message, measurements: {}, slo: [],
        },
        probes: [],
      };
    }
    const record = result.record;
    if (record.outcome !== 'error') {
      record.managerCounts = compareCounts(countersBefore, await scrapeManagerCounters(this.ctx.lab), record.events);
      if (record.managerCounts.match === false) this.ctx.log(`${experiment} #${iteration}: the manager's /metrics counted ${JSON.stringify(record.managerCounts.metrics)}, the journal holds ${JSON.stringify(record.managerCounts.journal)}`);
    }
    judgeIteration(record, this.rows, SLOS);
    record.store = await this.results.write(record, this.journal.runId);
    if (!record.store.written) this.ctx.log(`${experiment} #${iteration}: figures not written to ${record.store.url} (${record.store.measurement}): ${record.store.error}`);
    await this.journal.addIteration(record, result.probes);
    return record;
  }

  /** Ends the run: end time in the journal, markdown report and charts written. */
  async finish(): Promise<string> {
    await this.journal.updateMeta({ endedAt: new Date().toISOString() });
    await mkdir(this.outDir, { recursive: true });
    return writeReport(this.journal.dir, this.outDir);
  }
}
