import { InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { EventLogger } from '../../shared/event-logger.ts';
import { shortId } from './alert-payload.ts';
import { StateLatch } from './state-latch.ts';
import type { MetricPoint, MetricsSink } from './types.ts';

export interface InfluxSettings {
  url: string;
  org: string;
  bucket: string;
  token: string;
}

/** Bounded so that an InfluxDB outage costs a known amount of memory and time, never an alert. */
export const INFLUX_WRITE_OPTIONS = {
  batchSize: 20,
  flushInterval: 10_000,
  // Bodies above 1 KB (any batch of more than a few points) are gzipped.
  gzipThreshold: 1000,
  maxRetries: 3,
  maxRetryTime: 60_000,
  maxBufferLines: 10_000,
  minRetryDelay: 1000,
  maxRetryDelay: 10_000,
};

function clientLog(events: EventLogger, message: string, error: unknown): void {
  const fields = { event: 'influx_client', message, reason: error instanceof Error ? error.message : undefined };
  if (message.startsWith('Write to InfluxDB')) events.log.debug(fields);
  else events.log.warn(fields);
}

const round2 = (v: number) => Math.round(v * 100) / 100;

export function toPoint(p: MetricPoint): Point {
  return new Point('container_metrics')
    .tag('node', p.node)
    .tag('service_name', p.service)
    .tag('container_id', shortId(p.container))
    .tag('task_id', p.task)
    .floatField('cpu_percent', round2(p.m.cpu))
    .floatField('memory_mb', round2(p.m.mem_mb))
    .floatField('memory_percent', round2(p.m.mem))
    .floatField('network_rx_mbps', round2(p.m.rx))
    .floatField('network_tx_mbps', round2(p.m.tx))
    .floatField('network_percent', round2(p.m.net))
    .timestamp(new Date(Math.round(p.t)));
}

/**
 * InfluxDB 2 through the official client's WriteApi: write() only appends to its buffer; batches
 * go out in the background (every 10 s or 20 points), retries are bounded. Failures are logged
 * once per outage, not per batch.
 */
export class InfluxMetricsSink implements MetricsSink {
  private readonly writeApi: WriteApi;
  private readonly latch: StateLatch;

  constructor(
    settings: InfluxSettings,
    events: EventLogger,
    /** Per write request; a hung InfluxDB holds at most this long per batch (and at shutdown). */
    timeoutMs = 5000,
  ) {
    this.latch = new StateLatch(({ ok, reason, failures }) =>
      ok ? events.event('influx_recovered', { failures }) : events.event('influx_write_failed', { reason }),
    );
    // The client logs each failed attempt to the console; writeFailed below already sees those
    // (and logs once per outage), so they go to debug. Anything else it says is worth a warning.
    // setLogger is process-wide: the agent has one sink.
    setLogger({
      error: (message, error) => clientLog(events, message, error),
      warn: (message, error) => clientLog(events, message, error),
    });
    const latch = this.latch;
    this.writeApi = new InfluxDB({ url: settings.url, token: settings.token, timeout: timeoutMs }).getWriteApi(
      settings.org,
      settings.bucket,
      'ms',
      {
        ...INFLUX_WRITE_OPTIONS,
        writeFailed(error) {
          latch.fail(error.message);
        },
        writeSuccess() {
          latch.ok();
        },
        writeRetrySkipped(entry) {
          latch.fail(`retry buffer full, dropped ${entry.lines.length} lines`);
        },
      },
    );
  }

  write(points: readonly MetricPoint[]): void {
    this.writeApi.writePoints(points.map(toPoint));
  }

  /** Flushes what is buffered (one attempt per batch, bounded by the client's timeout). */
  async close(): Promise<void> {
    try {
      await this.writeApi.close();
    } catch (err) {
      this.latch.fail(`final flush: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Used when INFLUX_URL is not set: the agent still alerts and reports. */
export class NullMetricsSink implements MetricsSink {
  write(): void {}
  async close(): Promise<void> {}
}
