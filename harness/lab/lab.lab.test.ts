import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import type Docker from 'dockerode';
import { loadLab, type LabConfig } from '../lib/config/lab-config.ts';
import { managerDocker } from '../lib/cluster/docker-clients.ts';
import { generatorLogin } from '../lib/load/load-generators.ts';
import { connectSsh } from '../lib/remote/ssh-connect.ts';
import { sshExec } from '../lib/remote/ssh-exec.ts';
import { baseImageRef } from './base-image.ts';

let lab: LabConfig;
let docker: Docker;

beforeAll(async () => {
  lab = await loadLab();
  docker = managerDocker(lab);
});

describe('the local lab', () => {
  it('is a swarm of 4 Ready nodes with the right hostnames and roles', async () => {
    const nodes = (await docker.listNodes()) as { Description: { Hostname: string }; Status: { State: string }; Spec: { Role: string } }[];
    const ready = nodes.filter((n) => n.Status.State === 'ready').map((n) => `${n.Description.Hostname}:${n.Spec.Role}`).sort();
    expect(ready).toEqual(['manager:manager', 'worker-1:worker', 'worker-2:worker', 'worker-3:worker']);
  });

  describe('a service from the lab registry', () => {
    const name = 'lab-test-hello';
    afterAll(async () => {
      await docker.getService(name).remove().catch(() => undefined);
    });

    it('runs on a worker and answers through the HAProxy entrypoint', async () => {
      await docker.getService(name).remove().catch(() => undefined);
      const port = lab.app.publish.port;
      await docker.createService({
        Name: name,
        TaskTemplate: {
          ContainerSpec: {
            Image: baseImageRef(lab.registry),
            Command: ['node', '-e', `require('http').createServer((q,s)=>{s.setHeader('x-node',process.env.NODE_NAME);s.end('hello')}).listen(${port})`],
            Env: ['NODE_NAME={{.Node.Hostname}}'],
          },
          Placement: { Constraints: ['node.role==worker'] },
        },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: port, PublishedPort: port, PublishMode: 'host' }] },
      });
      const deadline = Date.now() + 60_000;
      let answer: { status: number; node: string | null; body: string } | undefined;
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`${lab.entrypoint}/`, { signal: AbortSignal.timeout(1000) });
          answer = { status: res.status, node: res.headers.get('x-node'), body: await res.text() };
          if (res.status === 200) break;
        } catch {
          /* not up yet */
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(answer?.status).toBe(200);
      expect(answer?.body).toBe('hello');
      expect(lab.swarm.workers.map((w) => w.name)).toContain(answer?.node);
    });
  });

  it('logs in to every load generator with the lab key, its host key checked against the lab known_hosts; each answers with its own hostname', async () => {
    for (const g of lab.load_generators) {
      const conn = await connectSsh(generatorLogin(lab, g), { timeoutMs: 5000 });
      try {
        const r = await sshExec(conn, 'hostname', { timeoutMs: 5000 });
        expect(r.stdout.trim()).toBe(g.name);
        const reach = await sshExec(conn, `curl -s -o /dev/null -w '%{http_code}' -m 2 ${lab.influxdb.url}/health`, { timeoutMs: 5000 });
        expect(reach.stdout).toBe('200');
      } finally {
        conn.close();
      }
    }
  });

  it('stores a point written with the InfluxDB 2 client and gives it back', async () => {
    const marker = `t${Date.now()}`;
    const client = new InfluxDB({ url: lab.influxdb.url, token: process.env[lab.influxdb.token_env] ?? 'local-lab' });
    const write = client.getWriteApi(lab.influxdb.org, lab.influxdb.bucket, 'ms');
    write.writePoint(new Point('container_metrics').tag('node', 'worker-1').tag('test_id', marker).floatField('cpu_percent', 42.5));
    await write.close();
    const deadline = Date.now() + 15_000;
    let found: { value: number } | undefined;
    while (!found && Date.now() < deadline) {
      const res = await fetch(`${lab.influxdb.url}/api/v1/export?match[]=${encodeURIComponent(`container_metrics_cpu_percent{test_id="${marker}"}`)}`);
      const line = (await res.text()).trim();
      if (line) found = { value: (JSON.parse(line.split('\n')[0]) as { values: number[] }).values[0] };
      else await new Promise((r) => setTimeout(r, 500));
    }
    expect(found?.value).toBe(42.5);
  });
});
