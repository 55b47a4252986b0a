import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import type { ServerChannel } from 'ssh2';
import { startFakeSshServer, type FakeSshServer, testKeyPair } from './fake-ssh-server.ts';
import { SshDockerAgent } from './ssh-docker-agent.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-docker-agent-test-'));
const user = testKeyPair();
writeFileSync(join(dir, 'id'), user.private);
let server: FakeSshServer;

/** dial-stdio as a daemon: one HTTP answer per channel, /version only. */
function daemon(command: string, ch: ServerChannel) {
  if (command !== 'docker system dial-stdio') {
    ch.stderr.write('sh: docker: not found\n');
    return ch.exit(127), ch.end();
  }
  let request = '';
  ch.on('data', (d: Buffer) => {
    request += d.toString();
    if (!request.includes('\r\n\r\n')) return;
    const body = JSON.stringify({ Version: '24.0.7', ApiVersion: '1.43' });
    ch.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    ch.exit(0);
    ch.end();
  });
}

beforeAll(async () => {
  server = await startFakeSshServer({ authorized: [user.public], exec: daemon });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${server.port} ${server.hostKey}\n`);
});

afterAll(() => server.close());

const target = () => ({ name: 'worker-1', host: '127.0.0.1', port: server.port, user: 'root', key: join(dir, 'id'), knownHosts: join(dir, 'known_hosts') });

describe('SshDockerAgent', () => {
  it('carries many Docker API calls over one SSH login, and logs in again after close', async () => {
    const agent = new SshDockerAgent(target(), { env: {} });
    const docker = new Docker({ protocol: 'http', host: '127.0.0.1', port: server.port, agent } as Docker.DockerOptions);
    const before = server.logins;
    const answers = await Promise.all([docker.version(), docker.version(), docker.version()]);
    expect(answers.map((a) => a.ApiVersion)).toEqual(['1.43', '1.43', '1.43']);
    expect(server.logins - before).toBe(1);
    agent.close();
    expect((await docker.version()).Version).toBe('24.0.7');
    expect(server.logins - before).toBe(2);
    agent.close();
  });

  it('reports a host without the docker CLI, naming it', async () => {
    const broken = await startFakeSshServer({ authorized: [user.public] }); // every exec: not found
    writeFileSync(join(dir, 'known_hosts_broken'), `[127.0.0.1]:${broken.port} ${broken.hostKey}\n`);
    const agent = new SshDockerAgent({ ...target(), port: broken.port, knownHosts: join(dir, 'known_hosts_broken') }, { env: {} });
    const docker = new Docker({ protocol: 'http', host: '127.0.0.1', port: broken.port, agent } as Docker.DockerOptions);
    try {
      await expect(docker.version()).rejects.toThrow(/worker-1: Docker API error: docker system dial-stdio exited with 127: sh: docker: not found/);
    } finally {
      agent.close();
      await broken.close();
    }
  });
});
