import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerStatsAdapter } from '../src/docker-stats-adapter.ts';
import { hexId } from './fakes.ts';

// A stand-in Docker Engine API on a unix socket, like /var/run/docker.sock.
const dir = mkdtempSync(path.join(tmpdir(), 'sg-agent-'));
const socketPath = path.join(dir, 'docker.sock');
const requests: string[] = [];
const web = hexId(1);
const own = hexId(2);
const gone = hexId(3);
const exited = hexId(4);

const server = http.createServer((req, res) => {
  const url = req.url ?? '';
  requests.push(url);
  const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (url.endsWith('/info')) return json(200, { Name: 'worker-2', NCPU: 4, Swarm: { NodeID: 'node2id' } });
  if (url.includes('/containers/json')) {
    return json(200, [
      { Id: web, State: 'running', Labels: { 'com.docker.swarm.service.name': 'stack_web', 'com.docker.swarm.task.id': 'taskid0123456789abcdefghi' } },
      { Id: own, State: 'running', Labels: { 'swarmguard.component': 'agent' } },
      { Id: gone, State: 'running', Labels: {} },
    ]);
  }
  if (url.includes(gone)) return json(404, { message: `No such container: ${gone}` });
  if (url.includes('/kill')) {
    if (url.includes(exited)) return json(409, { message: `Container ${exited} is not running` });
    return res.writeHead(204).end();
  }
  if (url.includes(`/containers/${own}/json`)) return json(200, { Id: own, Config: { StopSignal: 'SIGQUIT' } });
  if (url.includes(`/containers/${exited}/json`)) return json(200, { Id: exited, Config: {} });
  if (url.includes(`/containers/${web}/stats`)) return json(200, { read: '2026-11-22T10:00:00.5Z', cpu_stats: { cpu_usage: { total_usage: 42 } } });
  if (url.includes(`/containers/${web}/json`)) return json(200, { Id: web, State: { Pid: 4242 }, HostConfig: { NanoCpus: 500_000_000, CpuQuota: 0, CpuPeriod: 0 } });
  return json(500, { message: 'unexpected' });
});

let adapter: DockerStatsAdapter;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  adapter = new DockerStatsAdapter(new Docker({ socketPath }));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('DockerStatsAdapter over a unix socket', () => {
  it('takes the node name and cores from GET /info', async () => {
    expect(await adapter.nodeInfo()).toEqual({ name: 'worker-2', nodeId: 'node2id', cores: 4 });
  });

  it('maps swarm labels to service and task, and leaves own-container filtering to the agent', async () => {
    const list = await adapter.listContainers();
    expect(list.map((c) => [c.id, c.service, c.task])).toEqual([
      [web, 'stack_web', 'taskid0123456789abcdefghi'],
      [own, '', ''],
      [gone, '', ''],
    ]);
    expect(list[1].labels).toEqual({ 'swarmguard.component': 'agent' });
  });

  it('asks for one-shot stats without streaming', async () => {
    expect(await adapter.stats(web)).toMatchObject({ cpu_stats: { cpu_usage: { total_usage: 42 } } });
    const url = requests.find((u) => u.includes(`/containers/${web}/stats`));
    expect(url).toBeDefined();
    const query = new URLSearchParams(url!.split('?')[1]);
    expect(query.get('stream')).toBe('false');
    expect(query.get('one-shot')).toBe('true');
    expect(query.has('abortSignal')).toBe(false);
  });

  it('reads CPU limits from HostConfig', async () => {
    expect(await adapter.cpuLimits(web)).toEqual({ nanoCpus: 500_000_000, cpuQuota: 0, cpuPeriod: 0 });
  });

  it('reads the init pid and CPU limits in one inspect (for the cgroup port)', async () => {
    expect(await adapter.inspect(web)).toEqual({ pid: 4242, limits: { nanoCpus: 500_000_000, cpuQuota: 0, cpuPeriod: 0 } });
  });

  it('answers null, not an error, for a container that is gone', async () => {
    expect(await adapter.stats(gone)).toBeNull();
    expect(await adapter.cpuLimits(gone)).toBeNull();
    expect(await adapter.inspect(gone)).toBeNull();
  });

  it('sends the container its own stop signal (SIGTERM when it names none), once, with no SIGKILL to follow', async () => {
    expect(await adapter.sendStopSignal(web)).toBe('SIGTERM');
    expect(await adapter.sendStopSignal(own)).toBe('SIGQUIT');
    const kills = requests.filter((u) => u.includes('/kill'));
    expect(kills.map((u) => [u.split('?')[0], new URLSearchParams(u.split('?')[1]).get('signal')])).toEqual([
      [`/containers/${web}/kill`, 'SIGTERM'],
      [`/containers/${own}/kill`, 'SIGQUIT'],
    ]);
    expect(kills.some((u) => u.includes('abortSignal'))).toBe(false);
  });

  it('answers null for a stop signal to a container that is gone or no longer running', async () => {
    expect(await adapter.sendStopSignal(gone)).toBeNull();
    expect(await adapter.sendStopSignal(exited)).toBeNull();
  });

  it('lets other daemon errors through', async () => {
    await expect(adapter.stats(hexId(9))).rejects.toThrow(/unexpected|500/);
  });
});
