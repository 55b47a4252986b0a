import { InfluxDB, type WriteApi } from '@influxdata/influxdb-client';
import type { InfluxSettings } from '../../shared/influx.ts';
import type { LineSender } from './buffered-line-writer.ts';

/**
 * Lines to an InfluxDB 2 write API (/api/v2/write, ms precision) through the official client, one
 * request per send(). The client's own batching, timer and retry buffer are turned off: the
 * BufferedLineWriter in front decides what is sent when, and what is dropped.
 */
export class InfluxLineSender implements LineSender {
  private readonly writeApi: WriteApi;

  constructor(settings: InfluxSettings, maxBatchLines: number, timeoutMs = 5000) {
    this.writeApi = new InfluxDB({ url: settings.url, token: settings.token, timeout: timeoutMs }).getWriteApi(settings.org, settings.bucket, 'ms', {
      // above any batch the writer sends: reaching it would make the client send on its own, and
      // swallow that request's failure
      batchSize: maxBatchLines + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: 1,
      gzipThreshold: 1000,
    });
  }

  async send(lines: readonly string[]): Promise<void> {
    this.writeApi.writeRecords([...lines]);
    await this.writeApi.flush();
  }
}
