import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMOTE_CLOCK_LOOP, parseRemoteClock, sshClockOffset } from './lab-clocks.ts';
import { startFakeSshServer, type FakeSshServer, testKeyPair } from '../remote/fake-ssh-server.ts';

const SKEW_MS = 5000;
const dir = mkdtempSync(join(tmpdir(), 'lab-clocks-test-'));
const user = testKeyPair();
writeFileSync(join(dir, 'id'), user.private);
let server: FakeSshServer;

beforeAll(async () => {
  // a host whose clock runs SKEW_MS ahead, answering the read loop one line per line
  server = await startFakeSshServer({
    authorized: [user.public],
    exec: (command, ch) => {
      if (command !== REMOTE_CLOCK_LOOP) return ch.exit(127), ch.end();
      ch.on('data', (d: Buffer) => {
        const lines = d.toString().split('\n').length - 1;
        for (let i = 0; i < lines; i++) ch.write(`n ${BigInt(Math.round((performance.timeOrigin + performance.now() + SKEW_MS) * 1000)) * 1000n}\n`);
      });
    },
  });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${server.port} ${server.hostKey}\n`);
});

afterAll(() => server.close());

describe('sshClockOffset', () => {
  it('reads the clock over one connection and one channel, by round-trip midpoint', async () => {
    const target = { name: 'worker-1', host: '127.0.0.1', port: server.port, user: 'root', key: join(dir, 'id'), knownHosts: join(dir, 'known_hosts') };
    const o = await sshClockOffset(target, 9, { env: {} });
    expect(o.node).toBe('worker-1');
    expect(o.samples).toBe(9);
    expect(Math.abs(o.offsetMs - SKEW_MS)).toBeLessThanOrEqual(o.uncertaintyMs + 1);
    expect(o.uncertaintyMs).toBe(o.rttMs / 2);
    expect(server.commands).toEqual([REMOTE_CLOCK_LOOP]);
  });
});

describe('parseRemoteClock', () => {
  it('reads both forms and names the host otherwise', () => {
    expect(parseRemoteClock('w', 'r 1795373000.123456')).toBeCloseTo(1795373000123.456, 3);
    expect(parseRemoteClock('w', 'n 1795373000123456789')).toBeCloseTo(1795373000123.4568, 3);
    expect(() => parseRemoteClock('worker-1', 'n 1795373000')).toThrow(/^worker-1: no sub-second clock/);
  });
});
