import { InfluxDB, Point } from '@influxdata/influxdb-client';
import type { IterationRecord, StoreNote } from './journal-schema.ts';
import type { LabConfig } from '../config/lab-config.ts';

export const RESULTS_MEASUREMENT = 'test_results';

/** The PRD's comparison is proactive against reactive; the rest are the reliability experiments. */
export function scenarioOf(experiment: string): 'proactive' | 'reactive' | 'reliability' {
  if (experiment === 'baseline') return 'reactive';
  if (experiment === 'scenario1' || experiment === 'scenario2') return 'proactive';
  return 'reliability';
}

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : Math.round(ms) / 1000);

/**
 * `test_results` (PRD §5.4), one point per iteration at its end. Tags: test_case (the experiment),
 * scenario (proactive, reactive, reliability), run_id, iteration, outcome. Fields, each only when
 * measured: mttr_seconds, downtime_seconds, failed_requests. Undefined when nothing was measured
 * (an iteration that failed before any figure): a line needs a field.
 */
export function toResultPoint(record: IterationRecord, runId: string): Point | undefined {
  const m = record.measurements;
  const fields: [string, number | undefined][] = [
    ['mttr_seconds', seconds(m.mttr_ms)],
    ['downtime_seconds', seconds(m.downtime_ms)],
  ];
  const p = new Point(RESULTS_MEASUREMENT)
    .tag('test_case', record.experiment)
    .tag('scenario', scenarioOf(record.experiment))
    .tag('run_id', runId)
    .tag('iteration', String(record.iteration))
    .tag('outcome', record.outcome)
    .timestamp(new Date(Math.round(record.endedAt)));
  let any = false;
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    p.floatField(name, value);
    any = true;
  }
  if (typeof m.failed_requests === 'number') {
    p.intField('failed_requests', m.failed_requests);
    any = true;
  }
  return any ? p : undefined;
}

export interface ResultsSink {
  write(record: IterationRecord, runId: string): Promise<StoreNote>;
}

/**
 * Best effort: one request per iteration with a short timeout and no retry. A store that is down
 * (the tsdb-down experiment stops it on purpose) gives a note for the journal, never an error.
 */
export class InfluxResultsStore implements ResultsSink {
  constructor(
    private readonly settings: { url: string; org: string; bucket: string; token: string },
    private readonly timeoutMs = 3000,
  ) {}

  async write(record: IterationRecord, runId: string): Promise<StoreNote> {
    const base = { measurement: RESULTS_MEASUREMENT, url: this.settings.url };
    const point = toResultPoint(record, runId);
    if (!point) return { ...base, written: false, error: 'nothing measured' };
    const s = this.settings;
    const api = new InfluxDB({ url: s.url, token: s.token, timeout: this.timeoutMs }).getWriteApi(s.org, s.bucket, 'ms', {
      batchSize: 2,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: 1,
      // a promise of our own ends the client's handling: the caller logs the failure (and the journal
      // keeps it), so the client's console line would only repeat it
      writeFailed: (error: Error) => Promise.reject(error),
    });
    try {
      api.writePoint(point);
      await api.close();
      return { ...base, written: true };
    } catch (err) {
      return { ...base, written: false, error: (err as Error).message };
    }
  }
}

/** When the harness cannot write at all (no token for a remote lab): every iteration says why. */
export class UnavailableResultsStore implements ResultsSink {
  constructor(
    private readonly url: string,
    private readonly reason: string,
  ) {}

  async write(): Promise<StoreNote> {
    return { measurement: RESULTS_MEASUREMENT, url: this.url, written: false, error: this.reason };
  }
}

/** The lab's store (lab.yaml influxdb) with its token, or a sink that notes why there is none. */
export async function resultsStoreFor(lab: LabConfig, token: () => Promise<string>): Promise<ResultsSink> {
  const { url, org, bucket } = lab.influxdb;
  try {
    return new InfluxResultsStore({ url, org, bucket, token: await token() });
  } catch (err) {
    return new UnavailableResultsStore(url, (err as Error).message);
  }
}
