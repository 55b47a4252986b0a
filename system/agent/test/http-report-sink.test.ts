import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../shared/alert-schema.ts';
import { HttpPoster } from '../src/http-poster.ts';
import { HttpReportSink } from '../src/http-report-sink.ts';
import { quietEvents, T_START } from './fakes.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function manager() {
  const state = { status: 204, hold: false };
  const bodies: string[] = [];
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(`${req.url} ${req.headers.authorization} ${body}`);
      if (state.hold) held.push(res);
      else res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, bodies, held };
}

const report: Report = { node: 'worker-1', t: T_START, containers: [] };

function makeSink(url: string, timeoutMs = 1000) {
  const poster = new HttpPoster(url, 'tok');
  cleanups.push(() => poster.close());
  const events = quietEvents();
  const sink = new HttpReportSink(poster, events, timeoutMs);
  return { sink, named: (e: string) => events.since(0).filter((r) => r.event === e) };
}

describe('HttpReportSink', () => {
  it('POSTs the report to /report with the bearer token', async () => {
    const m = await manager();
    const { sink } = makeSink(m.url);
    sink.send(report);
    await sink.close();
    expect(m.bodies).toEqual([`/report Bearer tok ${JSON.stringify(report)}`]);
  });

  it('keeps at most one report in flight and skips the cycles that find one pending', async () => {
    const m = await manager();
    m.state.hold = true;
    const { sink } = makeSink(m.url);
    sink.send(report);
    await vi.waitFor(() => expect(m.held).toHaveLength(1));
    sink.send(report);
    sink.send(report);
    expect(sink.skipped).toBe(2);
    m.held[0].writeHead(204).end();
    await sink.close();
    sink.send(report);
    await sink.close();
    expect(m.bodies).toHaveLength(2);
  });

  it('logs failures once per state change, not per cycle', async () => {
    const m = await manager();
    m.state.status = 503;
    const { sink, named } = makeSink(m.url);
    for (let i = 0; i < 3; i++) {
      sink.send(report);
      await sink.close();
    }
    expect(named('report_failed')).toMatchObject([{ reason: 'HTTP 503' }]);
    m.state.status = 204;
    sink.send(report);
    await sink.close();
    sink.send(report);
    await sink.close();
    expect(named('report_recovered')).toMatchObject([{ failures: 3 }]);
    expect(named('report_failed')).toHaveLength(1);
  });

  it('gives up on a report after its timeout', async () => {
    const m = await manager();
    m.state.hold = true;
    const { sink, named } = makeSink(m.url, 100);
    sink.send(report);
    await sink.close();
    expect(named('report_failed')[0].reason).toMatch(/within 100 ms/);
  });
});
