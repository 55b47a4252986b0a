import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePort, startServer } from '../src/server.ts';
import { appFixture } from './app-fixture.ts';

const env = (extra: Record<string, string> = {}) => ({ PORT: '0', HOST: '127.0.0.1', ...extra });

describe('startServer', () => {
  it('on shutdown: /health fails at once, stress stops, in-flight responses finish', async () => {
    const fixture = appFixture();
    const server = await startServer(env(), fixture.deps);
    const { port } = new URL(server.address);
    await fetch(`http://127.0.0.1:${port}/stress/cpu?target=50`);

    // a 10 MiB response that the client does not read yet: in flight when shutdown starts
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write('GET /api/data?kb=10240 HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));

    let closed = false;
    const closing = server.shutdown('test').then(() => (closed = true));
    expect(fixture.deps.lifecycle.shuttingDown).toBe(true);
    expect((await server.app.inject('/health')).statusCode).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false); // waits for the unread response

    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await closing;
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received).toBeGreaterThan(10 * 1024 * 1024);
    expect(fixture.deps.supervisor.active()).toEqual([]);
    expect(fixture.pools[0].terminated).toBe(true);
  });

  it('with a drain period keeps serving other requests while /health fails', async () => {
    const fixture = appFixture();
    const server = await startServer(env({ SHUTDOWN_DRAIN_MS: '300' }), fixture.deps);
    const closing = server.shutdown('test');
    const health = await fetch(`${server.address}/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('x-served-by')).toBe('5e30b5e17ad4');
    expect((await fetch(`${server.address}/api/data?kb=1`)).status).toBe(200);
    await closing;
    await expect(fetch(`${server.address}/health`)).rejects.toThrow();
  });

  it('rejects a bad PORT naming it', () => {
    expect(() => parsePort('http')).toThrow('PORT is "http", expected an integer from 0 to 65535');
    expect(parsePort(undefined)).toBe(8080);
  });
});

describe('main (a real process)', () => {
  it('turns healthy, and exits 0 soon after SIGTERM', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_NAME: 'node-x', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const t0 = performance.now();
      let address: string | undefined;
      while (!address && performance.now() - t0 < 15_000) {
        address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(address, output).toBeDefined();
      const health = await fetch(`${address}/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get('x-node')).toBe('node-x');
      const signalled = performance.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(3000);
      expect(output).toContain('"reason":"SIGTERM"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 20_000);
});
