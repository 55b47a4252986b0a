import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerChannel } from 'ssh2';
import { parseLab } from '../config/lab-config.ts';
import { startFakeSshServer, type FakeSshServer, testKeyPair } from './fake-ssh-server.ts';
import { apiAtLeast, checkRemoteLab, RemoteLabError } from './preflight.ts';

const dir = mkdtempSync(join(tmpdir(), 'preflight-test-'));
const user = testKeyPair();
const stranger = testKeyPair();
writeFileSync(join(dir, 'id'), user.private);
writeFileSync(join(dir, 'id_stranger'), stranger.private);

/** `docker system dial-stdio` as a daemon answering GET /version with the given API version. */
function dockerDaemon(apiVersion: string) {
  return (command: string, ch: ServerChannel) => {
    if (command !== 'docker system dial-stdio') return ch.exit(127), ch.end();
    let request = '';
    ch.on('data', (d: Buffer) => {
      request += d.toString();
      if (!request.includes('\r\n\r\n')) return;
      const body = JSON.stringify({ Version: apiVersion === '1.24' ? '1.12.6' : '24.0.7', ApiVersion: apiVersion });
      const ok = request.startsWith('GET /version ');
      ch.write(`HTTP/1.1 ${ok ? '200 OK' : '404 Not Found'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      ch.exit(0);
      ch.end();
    });
  };
}

let current: FakeSshServer;
let old: FakeSshServer;
let silent: NetServer;
const silentSockets: Socket[] = [];
let closedPort: number;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  current = await startFakeSshServer({ authorized: [user.public], exec: dockerDaemon('1.43') });
  old = await startFakeSshServer({ authorized: [user.public], exec: dockerDaemon('1.24') });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${current.port} ${current.hostKey}\n[127.0.0.1]:${old.port} ${old.hostKey}\n`);
  silent = createServer((s) => silentSockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  closedPort = await freePort();
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await Promise.all([current.close(), old.close(), new Promise<void>((r) => silent.close(() => r()))]);
});

function lab(nodes: string, generators = '[]') {
  const ssh = (key: string) => `{ key: ${join(dir, key)}, known_hosts: ${join(dir, 'known_hosts')} }`;
  return parseLab(
    `kind: remote
swarm:
${nodes.replaceAll('SSH_OK', ssh('id')).replaceAll('SSH_STRANGER', ssh('id_stranger'))}
load_generators: ${generators.replaceAll('SSH_OK', ssh('id'))}
entrypoint: http://127.0.0.1:8080
manager_api: http://127.0.0.1:5000
registry: 127.0.0.1:5000
influxdb: { url: "http://127.0.0.1:8086", org: o, bucket: b, token_env: T }`,
  );
}

describe('checkRemoteLab', () => {
  it('passes a lab whose every host answers, with each Docker version', async () => {
    const good = lab(
      `  manager: { name: master, address: 10.0.0.1, docker: "ssh://root@127.0.0.1:${current.port}", ssh: SSH_OK }
  workers: [{ name: worker-1, address: 10.0.0.2, docker: "ssh://root@127.0.0.1:${current.port}", ssh: SSH_OK }]`,
      `[{ name: alpine-1, address: 127.0.0.1, ssh: { port: ${current.port}, key: ${join(dir, 'id')}, known_hosts: ${join(dir, 'known_hosts')} } }]`,
    );
    const checks = await checkRemoteLab(good, { connect: { env: {} } });
    expect(checks.map((c) => c.detail)).toEqual([
      `master (ssh://root@127.0.0.1:${current.port}): Docker 24.0.7, API 1.43`,
      `worker-1 (ssh://root@127.0.0.1:${current.port}): Docker 24.0.7, API 1.43`,
      `alpine-1 (root@127.0.0.1:${current.port}): SSH login ok`,
    ]);
  });

  it('fails within its bound, naming every bad host and what failed', async () => {
    const bad = lab(
      `  manager: { name: master, address: 10.0.0.1, docker: "ssh://root@127.0.0.1:${current.port}", ssh: SSH_OK }
  workers:
    - { name: worker-1, address: 10.0.0.2, docker: "ssh://root@127.0.0.1:${old.port}", ssh: SSH_OK }
    - { name: worker-2, address: 10.0.0.3, docker: "ssh://root@127.0.0.1:${current.port}", ssh: SSH_STRANGER }
    - { name: worker-3, address: 10.0.0.4, docker: "tcp://127.0.0.1:${closedPort}" }`,
      `[{ name: alpine-2, address: 127.0.0.1, ssh: { port: ${(silent.address() as AddressInfo).port}, key: ${join(dir, 'id')} } }]`,
    );
    const started = Date.now();
    const err = await checkRemoteLab(bad, { timeoutMs: 1500, connect: { env: {} } }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(RemoteLabError);
    const checks = (err as RemoteLabError).checks;
    expect(Object.fromEntries(checks.map((c) => [c.host, c.ok ? 'ok' : c.kind]))).toEqual({
      master: 'ok',
      'worker-1': 'api-too-old',
      'worker-2': 'auth',
      'worker-3': 'unreachable',
      'alpine-2': 'timeout',
    });
    const message = (err as Error).message;
    expect(message).toContain('remote lab check failed on 4 of 5 hosts');
    expect(message).toContain(`worker-1 (ssh://root@127.0.0.1:${old.port}): Docker API too old: it speaks API 1.24 (Docker 1.12.6), the harness needs 1.41 or newer`);
    expect(message).toContain(`worker-2 (root@127.0.0.1:${current.port}): SSH login refused`);
    expect(message).toContain(`worker-3 (tcp://127.0.0.1:${closedPort}): unreachable: connect ECONNREFUSED`);
    expect(message).toMatch(/alpine-2 \(root@127\.0\.0\.1:\d+\): no answer in time/);
  });

  it('maps TLS failures and a plain request to a TLS daemon', async () => {
    const tcp = lab(`  manager: { name: master, address: 10.0.0.1, docker: "tcp://127.0.0.1:2376" }
  workers: [{ name: worker-1, address: 10.0.0.2, docker: "tcp://127.0.0.1:2375" }]`);
    const failures: Record<string, Error> = {
      master: Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      'worker-1': Object.assign(new Error('(HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server.'), { statusCode: 400 }),
    };
    const err = (await checkRemoteLab(tcp, { openDocker: (e) => ({ docker: { version: () => Promise.reject(failures[e.node]) }, close: () => undefined }) }).catch((e: unknown) => e)) as RemoteLabError;
    expect(err.checks.map((c) => c.detail)).toEqual([
      "master (tcp://127.0.0.1:2376): TLS handshake failed: Hostname/IP does not match certificate's altnames",
      'worker-1 (tcp://127.0.0.1:2375): Docker API error: (HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server. (the daemon expects TLS: give the node tls: {ca, cert, key})',
    ]);
  });

  it('names the node of an endpoint it cannot use', async () => {
    const bad = lab(`  manager: { name: master, address: 10.0.0.1, docker: "tcp://127.0.0.1:2376", tls: { ca: ${join(dir, 'nope.pem')}, cert: c, key: k } }
  workers: [{ name: worker-1, address: 10.0.0.2, docker: "ssh://root@127.0.0.1:${current.port}", ssh: SSH_OK }]`);
    const err = (await checkRemoteLab(bad, { connect: { env: {} } }).catch((e: unknown) => e)) as RemoteLabError;
    expect(err.checks[0].detail).toBe(`master (tcp://127.0.0.1:2376): configuration unusable: master: cannot read tls.ca ${join(dir, 'nope.pem')}: ENOENT`);
  });
});

describe('apiAtLeast', () => {
  it('compares dotted versions by number', () => {
    expect(apiAtLeast('1.41', '1.41')).toBe(true);
    expect(apiAtLeast('1.43', '1.41')).toBe(true);
    expect(apiAtLeast('1.9', '1.41')).toBe(false);
    expect(apiAtLeast('?', '1.41')).toBe(false);
  });
});
