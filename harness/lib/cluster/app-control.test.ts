import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { appMemory, failedTasks } from './app-control.ts';
import { FakeLab } from './fake-lab.ts';
import type { SwarmTask } from './types.ts';

/** A swarm of two workers whose web-stress-b had these tasks. */
function swarmWith(tasks: Pick<SwarmTask, 'id' | 'nodeId' | 'desiredState' | 'state' | 'err' | 'timestamp'>[]): FakeLab {
  const node = (id: string, hostname: string) => ({ id, hostname, state: 'ready', availability: 'active' });
  return new FakeLab({ nodes: [node('n1', 'worker-1'), node('n2', 'worker-2')], tasks: tasks.map((t) => ({ ...t, serviceId: 'web-stress-b', createdAt: '' })) });
}

describe('failedTasks', () => {
  it('lists the tasks swarm ended on its own since the given instant, oldest first, with node name and error', async () => {
    const swarm = swarmWith([
      { id: 't1', nodeId: 'n2', desiredState: 'shutdown', state: 'failed', err: 'task: non-zero exit (143): dockerexec: unhealthy container', timestamp: '2026-11-23T05:58:08Z' },
      { id: 't2', nodeId: 'n1', desiredState: 'shutdown', state: 'failed', err: 'task: non-zero exit (137)', timestamp: '2026-11-23T05:58:04Z' },
      { id: 't3', nodeId: 'n1', desiredState: 'shutdown', state: 'shutdown', timestamp: '2026-11-23T05:58:05Z' }, // the manager's migration
      { id: 't4', nodeId: 'n1', desiredState: 'running', state: 'running', timestamp: '2026-11-23T05:58:06Z' },
      { id: 't5', nodeId: 'n9', desiredState: 'shutdown', state: 'rejected', err: 'no suitable node', timestamp: '2026-11-23T05:58:07Z' },
      { id: 't6', nodeId: 'n1', desiredState: 'shutdown', state: 'failed', err: 'before the iteration', timestamp: '2026-11-23T05:50:00Z' },
    ]);
    const got = await failedTasks(swarm, 'web-stress-b', Date.parse('2026-11-23T05:58:00Z'));
    expect(got.map((t) => [t.node, t.state, t.err])).toEqual([
      ['worker-1', 'failed', 'task: non-zero exit (137)'],
      ['n9', 'rejected', 'no suitable node'],
      ['worker-2', 'failed', 'task: non-zero exit (143): dockerexec: unhealthy container'],
    ]);
  });

  it('skips a task without a timestamp rather than counting it', async () => {
    const swarm = swarmWith([{ id: 't1', nodeId: 'n1', desiredState: 'shutdown', state: 'failed', err: 'x' }]);
    expect(await failedTasks(swarm, 'web-stress-b', 0)).toEqual([]);
  });
});

/** A web-stress stand-in on 127.0.0.1 whose /metrics gives this status and body. */
async function metricsServer(status: number, body: string): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, paths, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('appMemory', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("reads the app's memory and its limit from its /metrics", async () => {
    // the shape web-stress serves (system/web-stress/src/metrics-sampler.ts and app.ts)
    const metrics = {
      cpu_percent: 12.5, cpu_limit_cores: 0.5, cpu_source: 'cgroup', memory_mb: 41.27, memory_limit_mb: 512,
      memory_percent: 8.06, memory_source: 'cgroup', network_rx_mbps: 0.01, network_tx_mbps: 0.02, interval_s: 1.5, active_stress: [],
    };
    const app = await metricsServer(200, JSON.stringify(metrics));
    close = app.close;
    expect(await appMemory(app.url)).toEqual({ memory_mb: 41.27, memory_limit_mb: 512 });
    expect(app.paths).toEqual(['/metrics']);
  });

  it('names the URL and the status when the app refuses', async () => {
    const app = await metricsServer(503, '{"error":"shutting down"}');
    close = app.close;
    await expect(appMemory(app.url)).rejects.toThrow(`${app.url}/metrics answered 503`);
  });

  it('names the URL and what came back when the figures are missing', async () => {
    const app = await metricsServer(200, '{"cpu_percent":3}');
    close = app.close;
    await expect(appMemory(app.url)).rejects.toThrow(`${app.url}/metrics: expected memory_mb and memory_limit_mb as numbers, got {"cpu_percent":3}`);
  });
});
