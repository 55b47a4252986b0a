import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { IterationRecord } from './journal-schema.ts';
import { iterationSchema } from './journal-schema.ts';
import { InfluxResultsStore, scenarioOf, toResultPoint, UnavailableResultsStore } from './results-store.ts';

const T = 1_795_373_000_000;
const RUN = '2026-11-22T19-05-00Z-1a2b3c4';

function iteration(experiment: string, measurements: IterationRecord['measurements']): IterationRecord {
  return {
    experiment,
    iteration: 2,
    params: {},
    startedAt: T - 60_000,
    endedAt: T,
    events: [],
    probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } },
    outcome: 'passed',
    measurements,
    slo: [],
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stand-in for the store's /api/v2/write; `hang` never answers. */
async function store(mode: 'ok' | 'hang' = 'ok') {
  const bodies: { url: string; auth?: string; text: string }[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push({ url: req.url ?? '', auth: req.headers.authorization, text });
      if (mode === 'ok') res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

const settings = (url: string) => ({ url, org: 'swarmguard', bucket: 'metrics', token: 'tsdb-token' });

describe('test_results', () => {
  it('one point per iteration: experiment, scenario, run and iteration as tags; figures in seconds', () => {
    const line = toResultPoint(iteration('scenario1', { mttr_ms: 3456.7, downtime_ms: 0, failed_requests: 0, t5_t4_ms: 1200 }), RUN)!.toLineProtocol({
      convertTime: (v) => (v instanceof Date ? String(v.getTime()) : undefined),
    });
    expect(line).toBe(
      `test_results,iteration=2,outcome=passed,run_id=${RUN},scenario=proactive,test_case=scenario1 downtime_seconds=0,failed_requests=0i,mttr_seconds=3.457 ${T}`,
    );
  });

  it('a figure not measured is left out; an iteration with none has no point', () => {
    const p = toResultPoint(iteration('baseline', { mttr_ms: 9000, downtime_ms: null }), RUN)!;
    expect(p.fields).toEqual({ mttr_seconds: '9' });
    expect(toResultPoint(iteration('tsdb-down', { tsdb_down_ms: 5000 }), RUN)).toBeUndefined();
  });

  it('baseline is the reactive side of the comparison, scenarios 1 and 2 the proactive one', () => {
    expect(['baseline', 'scenario1', 'scenario2', 'node-failure'].map(scenarioOf)).toEqual(['reactive', 'proactive', 'proactive', 'reliability']);
  });

  it('writes to /api/v2/write with the token and notes it', async () => {
    const db = await store();
    const note = await new InfluxResultsStore(settings(db.url)).write(iteration('baseline', { mttr_ms: 8000, downtime_ms: 7000, failed_requests: 12 }), RUN);
    expect(note).toEqual({ measurement: 'test_results', url: db.url, written: true });
    expect(db.bodies).toHaveLength(1);
    expect(db.bodies[0]!.url).toBe('/api/v2/write?org=swarmguard&bucket=metrics&precision=ms');
    expect(db.bodies[0]!.auth).toBe('Token tsdb-token');
    expect(db.bodies[0]!.text).toMatch(/^test_results,.*scenario=reactive,test_case=baseline downtime_seconds=7,failed_requests=12i,mttr_seconds=8 \d+$/);
    expect(iterationSchema.safeParse({ ...iteration('baseline', {}), store: note }).success).toBe(true);
  });

  it('a store that is down or does not answer is a note, not an error, within the timeout', async () => {
    const closed = await store();
    await cleanups.pop()!(); // nothing listens there any more
    const down = await new InfluxResultsStore(settings(closed.url)).write(iteration('scenario1', { mttr_ms: 1 }), RUN);
    expect(down).toMatchObject({ written: false, error: expect.stringMatching(/ECONNREFUSED|connect/) });

    const hung = await store('hang');
    const started = performance.now();
    const slow = await new InfluxResultsStore(settings(hung.url), 300).write(iteration('scenario1', { mttr_ms: 1 }), RUN);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(slow).toMatchObject({ written: false, error: expect.stringMatching(/timed? ?out/i) });
  });

  it('with no token for the lab, every iteration says why', async () => {
    const note = await new UnavailableResultsStore('http://tsdb:8086', 'set INFLUX_TOKEN to the InfluxDB 2 token').write();
    expect(note).toEqual({ measurement: 'test_results', url: 'http://tsdb:8086', written: false, error: 'set INFLUX_TOKEN to the InfluxDB 2 token' });
  });
});
