import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NDJSON, REPORT_STREAM_ROUTE } from '../../shared/alert-schema.ts';
import { toColumns } from '../../shared/parse-report.ts';
import { ingestReports } from '../src/report-stream.ts';
import { alertFor, setup, TOKEN } from './helpers.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function listening(h: ReturnType<typeof setup>): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => h.app.close());
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  json: Record<string, unknown>;
  connection: string | undefined;
}

/** A chunked POST to the stream route; `answer` settles when the manager answers, whenever that is. */
function openStream(base: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'content-type': NDJSON }) {
  const req = http.request(new URL(REPORT_STREAM_ROUTE, base), { method: 'POST', headers, agent: false });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as Record<string, unknown>, connection: res.headers.connection }));
    });
    req.on('error', reject);
  });
  req.on('error', () => undefined); // writes after a refusal may fail; the answer is what counts
  return { req, answer };
}

/** One report, empty, in columns, as a line of the stream. */
const empty = (node: string, t: number) => JSON.stringify(toColumns({ node, t, containers: [] }));

describe('POST /report/stream', () => {
  it('takes each report in as its line arrives, and answers the counts when the stream ends', async () => {
    const h = setup();
    const base = await listening(h);
    const a = alertFor(h.swarm);
    const line = (node: string) => `${JSON.stringify(toColumns({ node, t: h.clock.now(), containers: [{ service: a.service, container: a.container, task: a.task, m: a.m }] }))}\n`;
    const { req, answer } = openStream(base);
    req.write(line('worker-3'));
    // the stream is still open: the report is in the cache already
    await vi.waitFor(() => expect(h.manager.state().reportingNodes).toHaveProperty('worker-3'));
    h.clock.t += 500;
    // a line may come in pieces
    const second = line('worker-2');
    req.write(second.slice(0, 20));
    req.write(second.slice(20));
    req.end();
    const got = await answer;
    expect(got).toMatchObject({ status: 200, json: { reports: 2, accepted: 2 } });
    expect(Object.keys(h.manager.state().reportingNodes).sort()).toEqual(['worker-2', 'worker-3']);
  });

  it('401 without the token, before reading anything', async () => {
    const h = setup();
    const base = await listening(h);
    const { req, answer } = openStream(base, { 'content-type': NDJSON });
    req.end(`${empty('worker-1', h.clock.now())}\n`);
    expect((await answer).status).toBe(401);
    expect(h.manager.state().reportingNodes).toEqual({});
  });

  it('stops at a bad line: 400 naming it, the reports before it kept, the connection closed', async () => {
    const h = setup();
    const base = await listening(h);
    const { req, answer } = openStream(base);
    req.write(`${empty('worker-1', h.clock.now())}\n`);
    req.write(`${empty('worker-2', -1)}\n`);
    // the agent does not know yet and keeps writing; none of it is read
    req.write(`${empty('worker-3', h.clock.now())}\n`);
    const got = await answer;
    expect(got.status).toBe(400);
    expect(got.json).toMatchObject({ reports: 1, accepted: 0 });
    expect(got.json.message).toMatch(/^line 2: t: /);
    expect(got.connection).toBe('close');
    expect(Object.keys(h.manager.state().reportingNodes)).toEqual(['worker-1']);
    expect(h.named('request_rejected')).toMatchObject([{ status: 400, path: REPORT_STREAM_ROUTE, reports: 1 }]);
  });

  it('400 for a line that is not JSON, 413 for one longer than body_limit, 415 for another content-type', async () => {
    const h = setup();
    const base = await listening(h);
    const notJson = openStream(base);
    notJson.req.write('{"node": \n');
    expect(await notJson.answer).toMatchObject({ status: 400, json: { message: expect.stringMatching(/^line 1 is not valid JSON/) } });

    const long = openStream(base);
    long.req.write(`{"pad":"${'x'.repeat(20_000)}`);
    expect(await long.answer).toMatchObject({ status: 413, json: { message: 'line 1 is longer than 16384 characters' } });

    const text = openStream(base, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' });
    text.req.end('{}');
    expect(await text.answer).toMatchObject({ status: 415, json: { message: expect.stringMatching(/expected application\/x-ndjson/) } });
  });

  it('closing the manager answers an open stream 503 with its counts, without waiting for the agent to end it', async () => {
    const h = setup();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    const { req, answer } = openStream(base);
    req.write(`${empty('worker-1', h.clock.now())}\n`);
    await vi.waitFor(() => expect(h.manager.state().reportingNodes).toHaveProperty('worker-1'));
    await h.app.close(); // the stream is never ended here: without the 503 this waits for the 30 s idle limit
    expect(await answer).toMatchObject({ status: 503, json: { error: 'shutting_down', reports: 1 } });
    expect(h.named('request_rejected')).toEqual([]);
  });
});

describe('ingestReports', () => {
  const report = (node: string) => empty(node, 1);

  it('answers 408 after idleMs without data, keeping what came before', async () => {
    const body = new PassThrough();
    const taken: string[] = [];
    const outcome = ingestReports(body, (r) => (taken.push(r.node), 0), 1000, 50);
    body.write(`${report('a')}\n${report('b').slice(0, 5)}`);
    expect(await outcome).toEqual({ reports: 1, accepted: 0, refused: { status: 408, message: 'no data for 50 ms' } });
    expect(taken).toEqual(['a']);
  });

  it('takes a last line without a newline, skips blank lines, and splits multi-byte characters safely', async () => {
    const body = new PassThrough();
    const taken: string[] = [];
    const outcome = ingestReports(body, (r) => (taken.push(r.node), 3), 1000, 1000);
    const bytes = Buffer.from(`\n${report('a')}\r\n\n{"node":"b","t":1,"service":["é"],"container":["0123456789ab"],"task":[""],"cpu":[1],"mem":[1],"mem_mb":[1],"net":[0],"rx":[0],"tx":[0]}`);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
    body.write(bytes.subarray(0, cut));
    body.end(bytes.subarray(cut));
    expect(await outcome).toEqual({ reports: 2, accepted: 6 });
    expect(taken).toEqual(['a', 'b']);
  });
});
