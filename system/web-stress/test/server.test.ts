import { spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HARD_EXIT_MARGIN_MS, parsePort, shutdownTimings, startServer } from '../src/server.ts';
import { appFixture } from './app-fixture.ts';

const env = (extra: Record<string, string> = {}) => ({ PORT: '0', HOST: '127.0.0.1', ...extra });

/** One GET through `agent` (fetch keeps its own pool, out of the test's reach). */
function get(agent: Agent, url: string): Promise<{ status: number | undefined; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
    }).once('error', reject);
  });
}

/** The error code of a fresh TCP connection to the port, or 'connected'. */
function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

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

  it('during the drain: every path but /health is served, and each answer closes its connection', async () => {
    const fixture = appFixture();
    const server = await startServer(env({ SHUTDOWN_DRAIN_MS: '300' }), fixture.deps);
    const closing = server.shutdown('test');
    const health = await fetch(`${server.address}/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get('x-served-by')).toBe('5e30b5e17ad4');
    const ping = await fetch(`${server.address}/ping`);
    expect(ping.status).toBe(200);
    expect(ping.headers.get('x-served-by')).toBe('5e30b5e17ad4');
    expect(ping.headers.get('x-node')).toBe('worker-3');
    expect(ping.headers.get('connection')).toBe('close');
    expect((await fetch(`${server.address}/api/data?kb=1`)).status).toBe(200);
    await closing;
  });

  it('after the drain refuses new connections, and an idle keep-alive connection does not hold it open', async () => {
    const fixture = appFixture();
    const server = await startServer(env({ SHUTDOWN_DRAIN_MS: '300' }), fixture.deps);
    const { port } = new URL(server.address);
    const agent = new Agent({ keepAlive: true });
    try {
      expect(await get(agent, `${server.address}/ping`)).toMatchObject({ status: 200, connection: 'keep-alive' });
      const socketsBefore = Object.values(agent.freeSockets).flat().length;
      expect(socketsBefore).toBe(1); // idle in the agent's pool, open on the server
      const t0 = performance.now();
      await server.shutdown('test');
      const took = performance.now() - t0;
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(1000); // not fastify's 72 s keep-alive timeout
      expect(await connectError(Number(port))).toBe('ECONNREFUSED');
    } finally {
      agent.destroy();
    }
  });

  it('a slow response started during the drain still completes after it', async () => {
    const fixture = appFixture();
    const server = await startServer(env({ SHUTDOWN_DRAIN_MS: '200' }), fixture.deps);
    const { port } = new URL(server.address);
    let closed = false;
    const closing = server.shutdown('test').then(() => (closed = true));

    // 10 MiB to a client that does not read yet: still being sent when the drain ends
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write('GET /api/data?kb=10240 HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(closed).toBe(false);

    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await closing;
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received).toBeGreaterThan(10 * 1024 * 1024);
    expect(await connectError(Number(port))).toBe('ECONNREFUSED');
  });

  it('derives the hard exit from drain and in-flight wait, and names a bad value', () => {
    expect(shutdownTimings({})).toEqual({ drainMs: 0, inflightMs: 5000, hardExitMs: 5000 + HARD_EXIT_MARGIN_MS });
    expect(shutdownTimings({ SHUTDOWN_DRAIN_MS: '1000' }).hardExitMs).toBe(6000 + HARD_EXIT_MARGIN_MS);
    expect(shutdownTimings({ SHUTDOWN_DRAIN_MS: '1000', SHUTDOWN_TIMEOUT_MS: '9000' }).hardExitMs).toBe(9000);
    expect(() => shutdownTimings({ SHUTDOWN_DRAIN_MS: '1s' })).toThrow('SHUTDOWN_DRAIN_MS is "1s", expected an integer number of milliseconds ≥ 0');
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
