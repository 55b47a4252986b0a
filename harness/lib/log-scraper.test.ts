import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceLogs } from './log-scraper.ts';

/** A Docker API stand-in whose /services/{id}/logs answers are given per request: 'hang' never answers. */
async function fakeDaemon(answers: Array<'hang' | string>) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const answer = answers[seen.length - 1] ?? 'hang';
    if (answer === 'hang') return; // the swarm's log broker waiting for ever
    const line = Buffer.from(answer);
    const header = Buffer.alloc(8);
    header[0] = 1; // stdout
    header.writeUInt32BE(line.length, 4);
    res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' }).end(Buffer.concat([header, line]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const docker = new Docker({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http' });
  return { docker, seen, server };
}

describe('serviceLogs', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('aborts a logs request that never ends and asks again', async () => {
    const daemon = await fakeDaemon(['hang', '{"event":"x","t":1}\n']);
    server = daemon.server;
    const text = await serviceLogs(daemon.docker, 'swarmguard-agent', 5_000, { timeoutMs: 300, attempts: 3 });
    expect(text).toBe('{"event":"x","t":1}\n');
    expect(daemon.seen).toHaveLength(2);
    expect(daemon.seen[1]).toMatch(/^\/services\/swarmguard-agent\/logs\?.*since=4/);
  });

  it('gives up after its attempts with an error naming the service', async () => {
    const daemon = await fakeDaemon([]);
    server = daemon.server;
    await expect(serviceLogs(daemon.docker, 'swarmguard-manager', 0, { timeoutMs: 200, attempts: 2 })).rejects.toThrow(
      'logs of service swarmguard-manager: no complete answer in 2 attempts of 0.2 s each',
    );
    expect(daemon.seen).toHaveLength(2);
  });
});
