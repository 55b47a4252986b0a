import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceLogsTimeout, scrapeEvents, serviceLogs } from './log-scraper.ts';

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

describe('scrapeEvents', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** A node's daemon: its containers of the agent service, each with one logged line. */
  async function nodeDaemon(lines: Record<string, string>) {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (url.pathname.endsWith('/containers/json')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.keys(lines).map((Id) => ({ Id }))));
      const id = /\/containers\/(\w+)\/logs$/.exec(url.pathname)?.[1];
      if (!id || !(id in lines)) return res.writeHead(404).end('{"message":"no such container"}');
      const line = Buffer.from(lines[id]);
      const header = Buffer.alloc(8);
      header[0] = 1;
      header.writeUInt32BE(line.length, 4);
      res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' }).end(Buffer.concat([header, line]));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new Docker({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http' });
  }

  it("reads the nodes' own containers when swarm's service logs never answer", async () => {
    const swarm = await fakeDaemon([]); // every service-logs request hangs
    servers.push(swarm.server);
    const ev = (node: string, t: number) => `${JSON.stringify({ component: 'agent', event: 'agent_started', node, t })}\n`;
    const nodes = new Map([
      ['worker-1', await nodeDaemon({ aaa: ev('worker-1', 2_000_000) })],
      ['worker-2', await nodeDaemon({ bbb: ev('worker-2', 2_000_100), ccc: ev('worker-2', 2_000_200) })],
    ]);
    const fast = { timeoutMs: 200, attempts: 1 };
    await expect(serviceLogs(swarm.docker, 'swarmguard-agent', 0, fast)).rejects.toBeInstanceOf(ServiceLogsTimeout);
    const events = await scrapeEvents(swarm.docker, 1_000_000, ['swarmguard-agent'], nodes, fast);
    expect(events.map((e) => `${e.node} ${e.t}`).sort()).toEqual(['worker-1 2000000', 'worker-2 2000100', 'worker-2 2000200']);
    await expect(scrapeEvents(swarm.docker, 1_000_000, ['swarmguard-agent'], undefined, fast)).rejects.toBeInstanceOf(ServiceLogsTimeout);
  });
});
