import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client';
import type { EventLogger } from '../../shared/event-logger.ts';
import { routeInfluxClientLog, type InfluxSettings } from '../../shared/influx.ts';
import { shortId } from './alert-payload.ts';
import { StateLatch } from '../../shared/state-latch.ts';
import type { MetricPoint, MetricsSink } from './types.ts';


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
    // writeFailed below logs once per outage; the client's own line per attempt goes to debug
    routeInfluxClientLog(events);
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
