import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithLocalShell, startFakeSshServer, type FakeSshServer, testKeyPair } from './fake-ssh-server.ts';
import { RemoteHostError } from './remote-host-error.ts';
import { connectSsh, type SshConnection } from './ssh-connect.ts';
import { sshExec } from './ssh-exec.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssh-exec-test-'));
const user = testKeyPair();
writeFileSync(join(dir, 'id'), user.private);
let server: FakeSshServer;
let conn: SshConnection;
let held = 0;
/** The connection, counting its hold()s and release()s. */
let counted: SshConnection;

beforeAll(async () => {
  server = await startFakeSshServer({ authorized: [user.public], exec: runWithLocalShell });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${server.port} ${server.hostKey}\n`);
  conn = await connectSsh({ name: 'alpine-1', host: '127.0.0.1', port: server.port, user: 'root', key: join(dir, 'id'), knownHosts: join(dir, 'known_hosts') }, { env: {} });
  const c = conn;
  counted = {
    client: c.client,
    target: c.target,
    get closed() {
      return c.closed;
    },
    get lastError() {
      return c.lastError;
    },
    hold: () => (held++, c.hold()),
    release: () => (held--, c.release()),
    close: () => c.close(),
  };
});

afterAll(async () => {
  conn.close();
  await server.close();
});

describe('sshExec', () => {
  it('collects stdout and stderr untrimmed with the exit status; a non-zero exit is a result', async () => {
    expect(await sshExec(counted, 'printf "a\\nb\\n\\n"; printf "warn\\n" >&2')).toEqual({ stdout: 'a\nb\n\n', stderr: 'warn\n', code: 0 });
    expect(await sshExec(counted, 'echo nope >&2; exit 3')).toEqual({ stdout: '', stderr: 'nope\n', code: 3 });
    expect(held).toBe(0);
  });

  it('delivers stdin and closes it; without stdin a command reading it sees its end at once', async () => {
    const text = 'line 1\nline ü 2\n'.repeat(2000);
    expect((await sshExec(counted, 'cat', { stdin: text })).stdout).toBe(text);
    expect(await sshExec(counted, 'cat; echo done', { timeoutMs: 3000 })).toMatchObject({ stdout: 'done\n', code: 0 });
  });

  it('reports a command ended by a signal', async () => {
    expect(await sshExec(counted, 'kill -TERM $$')).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('closes a command that outlives its bound, naming the host and the command', async () => {
    const started = Date.now();
    const err = await sshExec(counted, 'sleep 5', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(RemoteHostError);
    expect((err as RemoteHostError).kind).toBe('timeout');
    expect((err as Error).message).toBe('alpine-1: no answer in time: `sleep 5` did not finish within 300 ms');
    expect(held).toBe(0);
    // the connection still carries the next command
    expect((await sshExec(counted, 'echo ok')).stdout).toBe('ok\n');
  });

  it('fails naming the host on a closed connection', async () => {
    const other = await connectSsh({ ...conn.target }, { env: {} });
    const gone = new Promise<void>((r) => other.client.once('close', () => r()));
    other.close();
    await gone;
    await expect(sshExec(other, 'true')).rejects.toThrow(/^alpine-1: /);
  });
});
