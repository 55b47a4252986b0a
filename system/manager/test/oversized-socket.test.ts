/**
 * Oversized uploads over a real loopback socket (not `inject`): the manager must answer 413 and the
 * client must be able to read it. Closing with the rest of the upload unread makes the kernel send
 * a reset, which can wipe the answer before the client reads it; the manager drains first.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, setup } from './helpers.ts';

const ROUNDS = 40;

let base: URL;
const h = setup();

beforeAll(async () => {
  const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = new URL(address);
});
afterAll(() => h.app.close());

/** A chunked upload of `total` bytes with `connection: close`; resolves with the status line read, or 0. */
function chunkedUpload(total: number, headers: Record<string, string>): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: base.hostname, port: Number(base.port) });
    let text = '';
    let error: string | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), error });
    };
    const timer = setTimeout(done, 5000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', done);
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('connect', () => {
      const head = Object.entries({ ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked', connection: 'close' })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      socket.write(`POST /alert HTTP/1.1\r\nhost: ${base.host}\r\n${head}\r\n\r\n8\r\n{"pad":"\r\n`);
      for (let sent = 0; sent < total; sent += 4096) socket.write(`1000\r\n${'x'.repeat(4096)}\r\n`);
      socket.write('0\r\n\r\n');
    });
  });
}

describe('oversized bodies over a socket', () => {
  it(`every one of ${ROUNDS} chunked uploads of 16× the limit reads its 413`, { timeout: 60_000 }, async () => {
    const answers: { status: number; error?: string }[] = [];
    for (let i = 0; i < ROUNDS; i++) answers.push(await chunkedUpload(16 * 16_384, auth));
    expect(answers.filter((a) => a.status !== 413 || a.error)).toEqual([]);
  });

  it(`every one of ${ROUNDS} content-length uploads over the limit reads its 413, and a 401 without a token`, { timeout: 60_000 }, async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(4 * 16_384) });
    const statuses: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const withToken = await fetch(new URL('/alert', base), { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body }).then(
        (r) => r.status,
        () => 0,
      );
      const without = await fetch(new URL('/alert', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        (r) => r.status,
        () => 0,
      );
      statuses.push(withToken, without);
    }
    expect(statuses.filter((s, i) => s !== (i % 2 === 0 ? 413 : 401))).toEqual([]);
  });
});
