import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../shared/alert-schema.ts';
import { toColumns } from '../../shared/parse-report.ts';
import { HttpPoster } from '../src/http-poster.ts';
import { StreamReportSink, type StreamTiming } from '../src/stream-report-sink.ts';
import { hexId, quietEvents, T_START } from './fakes.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  lines: string[];
}

/**
 * A stand-in manager: records each request and its lines as they arrive. `mode` says how it answers:
 * at the end with 200 (the manager's way), at the first line with `status`, never, or not at all
 * reading the body.
 */
async function manager() {
  const state: { mode: 'ok' | 'refuse' | 'silent' | 'stall'; status: number } = { mode: 'ok', status: 200 };
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const got: Received = { url: req.url ?? '', headers: req.headers, lines: [] };
    requests.push(got);
    if (state.mode === 'stall') return req.pause();
    let pending = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      got.lines.push(...parts);
      if (state.mode === 'refuse' && !res.headersSent) res.writeHead(state.status, { connection: 'close' }).end(`{"message":"refused with ${state.status}"}`);
    });
    req.on('end', () => {
      if (state.mode === 'ok' && !res.headersSent) res.writeHead(state.status).end(JSON.stringify({ reports: got.lines.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, requests };
}

const report = (t: number, containers = 1): Report => ({
  node: 'worker-1',
  t,
  containers: Array.from({ length: containers }, (_, i) => ({ service: 'web', container: hexId(i + 1).slice(0, 12), task: `task-${i}`, m: { cpu: 1, mem: 2, mem_mb: 3, net: 4, rx: 2, tx: 2 } })),
});

function makeSink(url: string, timing: StreamTiming = { rotateMs: 1000, answerTimeoutMs: 500 }) {
  const poster = new HttpPoster(url, 'tok');
  cleanups.push(() => poster.close());
  const events = quietEvents();
  const clock = { t: 0 };
  const sink = new StreamReportSink(poster, events, timing, () => clock.t);
  return { sink, clock, named: (e: string) => events.since(0).filter((r) => r.event === e) };
}

describe('StreamReportSink', () => {
  it('writes each report, in columns, as a line of one POST to /report/stream, with the token', async () => {
    const m = await manager();
    const { sink, named } = makeSink(m.url);
    sink.send(report(T_START));
    sink.send(report(T_START + 500));
    await sink.close();
    expect(m.requests).toHaveLength(1);
    expect(m.requests[0]).toMatchObject({ url: '/report/stream', headers: { authorization: 'Bearer tok', 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' } });
    expect(m.requests[0].lines.map((l) => JSON.parse(l) as unknown)).toEqual([toColumns(report(T_START)), toColumns(report(T_START + 500))]);
    expect(named('report_failed')).toEqual([]);
  });

  it('ends a stream after rotateMs and opens the next with the next report; the sockets stay in the pool', async () => {
    const m = await manager();
    const { sink, clock } = makeSink(m.url);
    sink.send(report(1));
    clock.t = 999;
    sink.send(report(2));
    clock.t = 1000;
    sink.send(report(3)); // ends the first stream, opens a second
    clock.t = 2500;
    sink.send(report(4)); // and a third
    await sink.close();
    expect(sink.streams).toBe(3);
    expect(m.requests.map((r) => r.lines.length)).toEqual([2, 1, 1]);
  });

  it('a refused line: report_failed once, with what the manager said; the next report opens a new stream', async () => {
    const m = await manager();
    m.state.mode = 'refuse';
    m.state.status = 400;
    const { sink, named } = makeSink(m.url);
    sink.send(report(1));
    await vi.waitFor(() => expect(named('report_failed')).toHaveLength(1));
    expect(named('report_failed')[0].reason).toMatch(/^HTTP 400 \{"message":"refused with 400"\}/);
    m.state.mode = 'ok';
    m.state.status = 200;
    sink.send(report(2));
    await sink.close();
    expect(sink.streams).toBe(2);
    expect(m.requests[1].lines).toHaveLength(1);
    expect(named('report_recovered')).toMatchObject([{ failures: 1 }]);
    expect(named('report_failed')).toHaveLength(1);
  });

  it('an unreachable manager: report_failed naming the address, once however many cycles fail', async () => {
    const m = await manager();
    const { sink, named } = makeSink('http://127.0.0.1:1');
    for (const t of [1, 2, 3]) {
      sink.send(report(t));
      await sink.close();
    }
    expect(named('report_failed')).toMatchObject([{ reason: expect.stringMatching(/^http:\/\/127\.0\.0\.1:1\/report\/stream: connect ECONNREFUSED/) }]);
    expect(m.requests).toHaveLength(0);
  });

  it('a stream with no answer within answerTimeoutMs of its end is dropped and counted failed', async () => {
    const m = await manager();
    m.state.mode = 'silent';
    const { sink, named } = makeSink(m.url, { rotateMs: 1000, answerTimeoutMs: 100 });
    sink.send(report(1));
    await sink.close();
    expect(named('report_failed')[0].reason).toMatch(/no answer within 100 ms of the stream's end/);
  });

  it('a manager without the route (404): one POST /report a cycle from then on', async () => {
    const m = await manager();
    m.state.status = 404;
    const { sink, named } = makeSink(m.url);
    sink.send(report(1));
    await sink.close();
    expect(named('report_stream_unsupported')).toHaveLength(1);
    m.state.status = 202;
    sink.send(report(2));
    await sink.close();
    expect(m.requests.map((r) => `${r.url} ${r.headers['content-type']}`)).toEqual(['/report/stream application/x-ndjson', '/report application/json']);
  });

  it('skips reports while a manager that does not read leaves the stream full', async () => {
    const m = await manager();
    m.state.mode = 'stall';
    const { sink } = makeSink(m.url, { rotateMs: 60_000, answerTimeoutMs: 100 });
    for (let i = 0; i < 2000 && sink.skipped === 0; i++) {
      sink.send(report(i, 1000)); // about 60 KB each: the socket buffers fill within a few MB
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sink.skipped).toBeGreaterThan(0);
    expect(sink.streams).toBe(1);
  });
});
