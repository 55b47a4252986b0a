import { afterEach, describe, expect, it, vi } from 'vitest';
import { INFLUX_WRITE_OPTIONS, InfluxMetricsSink } from '../src/influx-metrics-sink.ts';
import type { MetricPoint } from '../src/types.ts';
import { FakeInfluxWriteServer } from '../../test-support/fake-influx-write-server.ts';
import { hexId, quietEvents, T_START } from './fakes.ts';

/** A stand-in for InfluxDB's /api/v2/write on 127.0.0.1; `mode` decides how it answers. */
async function influx() {
  const db = await FakeInfluxWriteServer.start({ status: 500, body: '{"code":"internal error","message":"disk full"}' });
  cleanups.push(() => db.close());
  return db;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function points(n: number, service = 'web-stress'): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    t: T_START + i,
    node: 'worker-2',
    service,
    container: hexId(i + 1),
    task: `task${i}`,
    m: { cpu: 12.345, mem: 50, mem_mb: 200.5, net: 3, rx: 1, tx: 2 },
  }));
}

function makeSink(url: string, timeoutMs = 5000) {
  const events = quietEvents('worker-2');
  const sink = new InfluxMetricsSink({ url, org: 'swarmguard', bucket: 'metrics', token: 'influx-token' }, events, timeoutMs);
  cleanups.push(() => sink.close());
  return { sink, events, named: (e: string) => events.since(0).filter((r) => r.event === e) };
}

describe('InfluxMetricsSink', () => {
  it('is configured for batches of 20, a 10 s flush, gzip and bounded retries', () => {
    expect(INFLUX_WRITE_OPTIONS).toMatchObject({ batchSize: 20, flushInterval: 10_000, maxRetries: 3 });
    expect(INFLUX_WRITE_OPTIONS.maxBufferLines).toBeLessThanOrEqual(10_000);
    expect(INFLUX_WRITE_OPTIONS.gzipThreshold).toBeLessThanOrEqual(1000);
  });

  it('sends a full batch of 20 points at once, gzipped, as container_metrics lines', async () => {
    const db = await influx();
    const { sink } = makeSink(db.url);
    sink.write(points(20));
    await vi.waitFor(() => expect(db.writes).toHaveLength(1));
    const [w] = db.writes;
    expect(w.url).toBe('/api/v2/write?org=swarmguard&bucket=metrics&precision=ms');
    expect(w.headers.authorization).toBe('Token influx-token');
    expect(w.headers['content-encoding']).toBe('gzip');
    expect(w.lines).toHaveLength(20);
    expect(w.lines[0]).toBe(
      `container_metrics,container_id=${hexId(1).slice(0, 12)},node=worker-2,service_name=web-stress,task_id=task0 ` +
        `cpu_percent=12.35,memory_mb=200.5,memory_percent=50,network_percent=3,network_rx_mbps=1,network_tx_mbps=2 ${T_START}`,
    );
  });

  it('keeps fewer than 20 points until close() flushes them', async () => {
    const db = await influx();
    const { sink } = makeSink(db.url);
    sink.write(points(3));
    await new Promise((r) => setTimeout(r, 50));
    expect(db.writes).toHaveLength(0);
    await sink.close();
    expect(db.writes.flatMap((w) => w.lines)).toHaveLength(3);
  });

  it('returns from write() at once while InfluxDB hangs', async () => {
    const db = await influx();
    db.mode = 'hang';
    const { sink } = makeSink(db.url, 300);
    const started = performance.now();
    for (let i = 0; i < 5; i++) sink.write(points(20));
    expect(performance.now() - started).toBeLessThan(50);
    await vi.waitFor(() => expect(db.writes.length).toBeGreaterThan(0));
  });

  it('logs an outage once, however many batches fail, and its end once', async () => {
    const db = await influx();
    db.mode = 'fail';
    const { sink, named } = makeSink(db.url);
    sink.write(points(20));
    sink.write(points(20));
    await vi.waitFor(() => expect(db.writes.length).toBeGreaterThanOrEqual(2));
    await vi.waitFor(() => expect(named('influx_write_failed')).toHaveLength(1));
    expect(named('influx_write_failed')[0].reason).toMatch(/disk full|500/);
    db.mode = 'ok';
    sink.write(points(20));
    await vi.waitFor(() => expect(named('influx_recovered')).toHaveLength(1));
    expect(named('influx_write_failed')).toHaveLength(1);
  });
});
