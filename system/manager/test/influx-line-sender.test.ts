import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLogger } from '../../shared/event-logger.ts';
import { influxSettingsFromEnv, routeInfluxClientLog } from '../../shared/influx.ts';
import type { RecoveryActionRecord } from '../src/action-record.ts';
import { LineActionStore } from '../src/action-store.ts';
import { BufferedLineWriter } from '../src/buffered-line-writer.ts';
import { InfluxLineSender } from '../src/influx-line-sender.ts';
import { FakeInfluxWriteServer } from '../../test-support/fake-influx-write-server.ts';
import { silent } from './helpers.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Stands in for VictoriaMetrics' (or InfluxDB's) /api/v2/write on 127.0.0.1. */
async function store() {
  const db = await FakeInfluxWriteServer.start({ status: 503, body: '{"code":"unavailable","message":"down for maintenance"}' });
  cleanups.push(() => db.close());
  return db;
}

const T = 1_795_373_000_000;
const action = (id: string): RecoveryActionRecord => ({
  actionId: id,
  service: 'web-stress',
  kind: 'migrate',
  outcome: 'completed',
  fromNode: 'worker-3',
  toNode: 'worker-1',
  phases: { T0: T, T4: T + 40, T5: T + 2000, T6: T + 2100 },
  endedAt: T + 2200,
  mttrSeconds: 2.1,
});

function makeStore(url: string, timeoutMs = 5000) {
  const events = new EventLogger('manager', 'manager-1', silent);
  routeInfluxClientLog(events); // the client's own line per failed attempt, out of the test output
  const settings = influxSettingsFromEnv({ INFLUX_URL: url, INFLUX_ORG: 'swarmguard', INFLUX_BUCKET: 'metrics', INFLUX_TOKEN: 'influx-token' })!;
  const writer = new BufferedLineWriter(new InfluxLineSender(settings, 100, timeoutMs), events, { measurement: 'recovery_actions' }, {
    capacity: 100,
    batchLines: 100,
    retryMinMs: 20,
    retryMaxMs: 50,
  });
  const actions = new LineActionStore(writer);
  cleanups.push(() => actions.close());
  return { actions, writer, named: (e: string) => events.since(0).filter((r) => r.event === e) };
}

describe('recovery_actions over the InfluxDB 2 write API', () => {
  it('posts each action to /api/v2/write with the token, in ms precision', async () => {
    const db = await store();
    const { actions } = makeStore(db.url);
    actions.write(action('migrate-a-1'));
    await vi.waitFor(() => expect(db.writes).toHaveLength(1));
    const [w] = db.writes;
    expect(w!.url).toBe('/api/v2/write?org=swarmguard&bucket=metrics&precision=ms');
    expect(w!.headers.authorization).toBe('Token influx-token');
    expect(w!.lines).toEqual([
      'recovery_actions,action_id=migrate-a-1,from_node=worker-3,kind=migrate,outcome=completed,service=web-stress,to_node=worker-1 ' +
        `duration_seconds=2.16,mttr_seconds=2.1,t0_ms=${T}i,t4_ms=${T + 40}i,t5_ms=${T + 2000}i,t6_ms=${T + 2100}i ${T}`,
    ]);
  });

  it('a store answering 503 is logged once, and what was kept is written when it is back', async () => {
    const db = await store();
    db.mode = 'fail';
    const { actions, named } = makeStore(db.url);
    actions.write(action('migrate-b-1'));
    actions.write(action('migrate-b-2'));
    await vi.waitFor(() => expect(db.writes.length).toBeGreaterThanOrEqual(3));
    expect(named('influx_write_failed')).toHaveLength(1);
    expect(String(named('influx_write_failed')[0]!.reason)).toMatch(/503|maintenance/);
    db.mode = 'ok';
    await vi.waitFor(() => expect(named('influx_recovered')).toHaveLength(1));
    const delivered = db.writes.at(-1)!.lines.map((l) => /action_id=([^,]+)/.exec(l)![1]);
    expect(delivered).toEqual(['migrate-b-1', 'migrate-b-2']);
  });

  it('a store that never answers costs the caller nothing, and close() stays bounded', async () => {
    const db = await store();
    db.mode = 'hang';
    const { actions, writer } = makeStore(db.url, 300);
    const started = performance.now();
    for (let i = 0; i < 50; i++) actions.write(action(`migrate-c-${i}`));
    expect(performance.now() - started).toBeLessThan(50);
    await vi.waitFor(() => expect(db.writes.length).toBeGreaterThan(0));
    const closing = performance.now();
    await writer.close(500);
    expect(performance.now() - closing).toBeLessThan(1500);
  });
});

describe('influxSettingsFromEnv', () => {
  it('is off without INFLUX_URL, and with it needs org, bucket and a token (or its file)', () => {
    expect(influxSettingsFromEnv({})).toBeNull();
    expect(() => influxSettingsFromEnv({ INFLUX_URL: 'http://tsdb:8428' })).toThrow(/INFLUX_ORG, INFLUX_BUCKET, INFLUX_TOKEN or INFLUX_TOKEN_FILE: expected a value because INFLUX_URL is set/);
    expect(() => influxSettingsFromEnv({ INFLUX_URL: 'tsdb:8428' })).toThrow(/INFLUX_URL: got "tsdb:8428", expected an http/);
    const read = (p: string) => (p === '/run/secrets/influx_token' ? 'from-file\n' : '');
    expect(influxSettingsFromEnv({ INFLUX_URL: 'http://tsdb:8428', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b', INFLUX_TOKEN_FILE: '/run/secrets/influx_token' }, read)).toEqual({
      url: 'http://tsdb:8428',
      org: 'o',
      bucket: 'b',
      token: 'from-file',
    });
  });
});
