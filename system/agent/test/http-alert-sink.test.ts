import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/alert-schema.ts';
import { DEFAULT_ALERT_DELIVERY, HttpAlertSink } from '../src/http-alert-sink.ts';
import { HttpPoster } from '../src/http-poster.ts';
import { T_START } from './fakes.ts';

interface Received {
  at: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: number;
}

/** A real HTTP server on 127.0.0.1 that answers each request with the next of `replies`. */
async function manager(replies: ((res: http.ServerResponse) => void)[]) {
  const received: Received[] = [];
  const sockets = new Map<unknown, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1);
      received.push({ at: performance.now(), method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, socket: sockets.get(req.socket)! });
      const reply = replies[Math.min(received.length - 1, replies.length - 1)];
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return { url, received, sockets };
}

const status = (code: number, body = '{}') => (res: http.ServerResponse) => res.writeHead(code, { 'content-type': 'application/json' }).end(body);
const never = () => () => {};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const alert: Alert = {
  id: `worker-3:${T_START}:7`,
  t0: T_START + 0.4,
  t1: T_START + 1001,
  node: 'worker-3',
  service: 'web-stress',
  container: '5e30b5e17ad4',
  task: 'i4izajy8i2mm',
  scenario: 'scenario1_migration',
  m: { cpu: 86.1, mem: 31.2, mem_mb: 160, net: 2.1, rx: 1.2, tx: 0.9 },
};

function sink(url: string, delivery: Partial<typeof DEFAULT_ALERT_DELIVERY> = {}) {
  const poster = new HttpPoster(url, 'secret-token-0123456789');
  cleanups.push(() => poster.close());
  return new HttpAlertSink(poster, delivery);
}

describe('HttpAlertSink against a real HTTP server', () => {
  it('defaults to a 1 s timeout and one retry after 100 ms', () => {
    expect(DEFAULT_ALERT_DELIVERY).toMatchObject({ timeoutMs: 1000, retryDelayMs: 100 });
  });

  it('POSTs the JSON alert to /alert with the bearer token', async () => {
    const m = await manager([status(202)]);
    const outcome = await sink(m.url).send(alert);
    expect(outcome).toEqual({ ok: true, attempts: 1, status: 202 });
    expect(m.received).toHaveLength(1);
    const [req] = m.received;
    expect(req).toMatchObject({ method: 'POST', url: '/alert' });
    expect(req.headers.authorization).toBe('Bearer secret-token-0123456789');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual(alert);
  });

  it('reads the decision and the action id from the manager’s 202 body', async () => {
    const m = await manager([status(202, '{"accepted":true,"decision":"migrate","actionId":"migrate-x-1"}')]);
    expect(await sink(m.url).send(alert)).toEqual({ ok: true, attempts: 1, status: 202, decision: 'migrate', actionId: 'migrate-x-1' });
  });

  it('a 2xx body that is not JSON, or whose fields are not strings, yields neither decision nor action id', async () => {
    for (const body of ['accepted', '{"decision":7,"actionId":null}', '']) {
      const m = await manager([status(202, body)]);
      expect(await sink(m.url).send(alert), body).toEqual({ ok: true, attempts: 1, status: 202 });
    }
  });

  it('keeps the connection alive between alerts', async () => {
    const m = await manager([status(202)]);
    const s = sink(m.url);
    await s.send(alert);
    await s.send(alert);
    await s.send(alert);
    expect(m.received.map((r) => r.socket)).toEqual([1, 1, 1]);
  });

  it('honours a path prefix in MANAGER_URL', async () => {
    const m = await manager([status(200)]);
    await sink(`${m.url}/swarmguard`).send(alert);
    expect(m.received[0].url).toBe('/swarmguard/alert');
  });

  it('retries once, 100 ms later, after a 5xx', async () => {
    const m = await manager([status(503, 'busy'), status(202)]);
    const outcome = await sink(m.url).send(alert);
    expect(outcome).toEqual({ ok: true, attempts: 2, status: 202 });
    expect(m.received[1].at - m.received[0].at).toBeGreaterThanOrEqual(95);
    expect(m.received[1].body).toBe(m.received[0].body);
  });

  it('gives up after the single retry and says why', async () => {
    const m = await manager([status(500, '{"error":"boom"}')]);
    const outcome = await sink(m.url).send(alert);
    expect(outcome).toEqual({ ok: false, attempts: 2, status: 500, error: 'HTTP 500 {"error":"boom"}' });
    expect(m.received).toHaveLength(2);
  });

  it('does not retry a 4xx that will not change (bad payload, bad token)', async () => {
    const m = await manager([status(401, '{"error":"bad token"}')]);
    const outcome = await sink(m.url).send(alert);
    expect(outcome).toMatchObject({ ok: false, attempts: 1, status: 401 });
    expect(m.received).toHaveLength(1);
  });

  it('times out an attempt that gets no answer, retries, and gives up', async () => {
    const m = await manager([never()]);
    const started = performance.now();
    const outcome = await sink(m.url, { timeoutMs: 150 }).send(alert);
    const elapsed = performance.now() - started;
    expect(outcome.ok).toBe(false);
    expect(outcome.attempts).toBe(2);
    expect(outcome.error).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/alert within 150 ms/);
    expect(m.received).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(390); // 150 + 100 + 150, minus timer slack
    expect(elapsed).toBeLessThan(1500);
  });

  it('times out an answer whose body never ends', async () => {
    const m = await manager([(res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{')]);
    const outcome = await sink(m.url, { timeoutMs: 100, retryDelayMs: 0 }).send(alert);
    expect(outcome).toMatchObject({ ok: false, attempts: 2 });
    expect(outcome.error).toMatch(/within 100 ms/);
  });

  it('reports a refused connection after retrying once', async () => {
    const m = await manager([status(200)]);
    const url = m.url;
    await cleanups.pop()!(); // server gone: the port now refuses
    const outcome = await sink(url).send(alert);
    expect(outcome).toMatchObject({ ok: false, attempts: 2 });
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});

describe('HttpPoster.get', () => {
  it('GETs the path under MANAGER_URL with the bearer token and no body, and returns status and body', async () => {
    const m = await manager([status(200, '{"release":false,"reason":"x","pending":true}')]);
    const poster = new HttpPoster(`${m.url}/swarmguard`, 'secret-token-0123456789');
    cleanups.push(() => poster.close());
    const res = await poster.get('/actions/migrate-x-1/handoff?wait_ms=10000', 1000);
    expect(res).toEqual({ status: 200, body: '{"release":false,"reason":"x","pending":true}' });
    const [req] = m.received;
    expect(req).toMatchObject({ method: 'GET', url: '/swarmguard/actions/migrate-x-1/handoff?wait_ms=10000', body: '' });
    expect(req.headers.authorization).toBe('Bearer secret-token-0123456789');
    expect(req.headers['content-type']).toBeUndefined();
  });

  it('rejects a question held past its timeout', async () => {
    const m = await manager([never()]);
    const poster = new HttpPoster(m.url, 'secret-token-0123456789');
    cleanups.push(() => poster.close());
    await expect(poster.get('/actions/migrate-x-1/handoff?wait_ms=10000', 100)).rejects.toThrow(/no answer from .*handoff\?wait_ms=10000 within 100 ms/);
  });
});
