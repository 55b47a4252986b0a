import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshTarget } from './endpoint.ts';
import { startFakeSshServer, type FakeSshServer, testKeyPair } from './fake-ssh-server.ts';
import { fingerprint } from './known-hosts.ts';
import { RemoteHostError } from './remote-host-error.ts';
import { connectSsh } from './ssh-connect.ts';
import { sshLineChannel } from './ssh-line-channel.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-connect-test-'));
const user = testKeyPair();
const stranger = testKeyPair();
const locked = testKeyPair({ passphrase: 'pw', cipher: 'aes256-ctr', rounds: 4 });
writeFileSync(join(dir, 'id'), user.private);
writeFileSync(join(dir, 'id_stranger'), stranger.private);
writeFileSync(join(dir, 'id_locked'), locked.private);
const blob = (pub: string) => Buffer.from(pub.split(' ')[1], 'base64');

let target: FakeSshServer;
let jump: FakeSshServer;
let silent: NetServer;
let silentPort: number;
const silentSockets: Socket[] = [];
let closedPort: number;
const env = {}; // no SSH agent: the key files are what logs in

beforeAll(async () => {
  target = await startFakeSshServer({
    authorized: [user.public, locked.public],
    exec: (_command, ch) => {
      // a line loop like the clock reader's: one answer per line
      ch.on('data', (d: Buffer) => {
        const lines = d.toString().split('\n').length - 1;
        for (let i = 0; i < lines; i++) ch.write(`n ${BigInt(Date.now()) * 1_000_000n}\n`);
      });
    },
  });
  jump = await startFakeSshServer({ authorized: [user.public], forward: true });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${target.port} ${target.hostKey}\n[127.0.0.1]:${jump.port} ${jump.hostKey}\n`);
  writeFileSync(join(dir, 'known_hosts_changed'), `[127.0.0.1]:${target.port} ${jump.hostKey}\n`);
  silent = createServer((s) => silentSockets.push(s)); // accepts and never speaks SSH
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await Promise.all([target.close(), jump.close(), new Promise<void>((r) => silent.close(() => r()))]);
});

const base = (over: Partial<SshTarget> = {}): SshTarget => ({ name: 'worker-1', host: '127.0.0.1', port: target.port, user: 'root', key: join(dir, 'id'), knownHosts: join(dir, 'known_hosts'), ...over });

async function failure(t: SshTarget, timeoutMs = 3000): Promise<RemoteHostError> {
  const err = await connectSsh(t, { env, timeoutMs }).then(
    (c) => {
      c.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteHostError);
  return err as RemoteHostError;
}

describe('connectSsh against a real SSH server on 127.0.0.1', () => {
  it('logs in with the key file, checks the host key, and carries a line channel', async () => {
    const c = await connectSsh(base(), { env });
    try {
      const ch = await sshLineChannel(c, 'clock');
      const answers = [await ch.request('t'), await ch.request('t')];
      for (const a of answers) expect(a).toMatch(/^n \d{19}$/);
      ch.close();
    } finally {
      c.close();
    }
  });

  it('reports a refused login naming the host', async () => {
    const e = await failure(base({ key: join(dir, 'id_stranger') }));
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(new RegExp(`^worker-1 \\(root@127\\.0\\.0\\.1:${target.port}\\): SSH login refused: All configured authentication methods failed`));
  });

  it('refuses a changed host key with both fingerprints', async () => {
    const e = await failure(base({ knownHosts: join(dir, 'known_hosts_changed'), trustOnFirstUse: true }));
    expect(e.kind).toBe('host-key');
    expect(e.message).toContain('HOST KEY MISMATCH');
    expect(e.message).toContain(fingerprint(blob(target.hostKey)));
    expect(e.message).toContain(fingerprint(blob(jump.hostKey)));
  });

  it('refuses an unknown host, or accepts it with trust_on_first_use and prints its fingerprint', async () => {
    writeFileSync(join(dir, 'empty'), '');
    expect((await failure(base({ knownHosts: join(dir, 'empty') }))).kind).toBe('host-key');
    const warned: string[] = [];
    const c = await connectSsh(base({ knownHosts: join(dir, 'empty'), trustOnFirstUse: true }), { env, warn: (l) => warned.push(l) });
    c.close();
    expect(warned.join('\n')).toContain(fingerprint(blob(target.hostKey)));
  });

  it('logs in with an encrypted key given its passphrase, and says what is missing without it', async () => {
    const c = await connectSsh(base({ key: join(dir, 'id_locked'), passphraseEnv: 'LAB_KEY_PASS' }), { env: { LAB_KEY_PASS: 'pw' } });
    c.close();
    const e = await failure(base({ key: join(dir, 'id_locked') }));
    expect(e.kind).toBe('key');
    expect(e.message).toContain('ssh.passphrase_env');
  });

  it('reports a closed port as unreachable and a silent one as no answer in time', async () => {
    expect((await failure(base({ port: closedPort }))).kind).toBe('unreachable');
    const started = Date.now();
    const e = await failure(base({ port: silentPort }), 300);
    expect(e.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('goes through a jump host, checking both host keys', async () => {
    const c = await connectSsh(base({ jump: { host: '127.0.0.1', port: jump.port, user: 'root', key: join(dir, 'id') } }), { env });
    try {
      const ch = await sshLineChannel(c, 'clock');
      expect(await ch.request('t')).toMatch(/^n \d+$/);
      ch.close();
    } finally {
      c.close();
    }
    const e = await failure(base({ jump: { host: '127.0.0.1', port: jump.port, user: 'root', key: join(dir, 'id_stranger') } }));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain(`worker-1's jump host root@127.0.0.1:${jump.port}`);
  });
});
