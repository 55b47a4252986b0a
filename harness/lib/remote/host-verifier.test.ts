import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKeyPair } from './fake-ssh-server.ts';
import { describe, expect, it } from 'vitest';
import { fingerprint } from './known-hosts.ts';
import { HostKeyError, hostVerifier } from './host-verifier.ts';

const dir = mkdtempSync(join(tmpdir(), 'host-verifier-test-'));
const pub = () => testKeyPair().public.trim().split(' ').slice(0, 2).join(' ');
const known = pub();
const other = pub();
const blob = (line: string) => Buffer.from(line.split(' ')[1], 'base64');
const file = join(dir, 'known_hosts');
writeFileSync(file, `[10.0.0.1]:2222 ${known}\n`);

describe('hostVerifier', () => {
  it('accepts the known key and offers only its type', () => {
    const v = hostVerifier({ host: '10.0.0.1', port: 2222, knownHostsFile: file });
    expect(v.verify(blob(known))).toBe(true);
    expect(v.algorithms).toEqual(['ssh-ed25519']);
    expect(v.failure()).toBeUndefined();
  });

  it('refuses a changed key, naming host, port and both fingerprints, even with trust_on_first_use', () => {
    const v = hostVerifier({ host: '10.0.0.1', port: 2222, knownHostsFile: file, trustOnFirstUse: true, warn: () => undefined });
    expect(v.verify(blob(other))).toBe(false);
    const err = v.failure();
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err?.message).toContain('10.0.0.1:2222: HOST KEY MISMATCH');
    expect(err?.message).toContain(fingerprint(blob(other)));
    expect(err?.message).toContain(`${fingerprint(blob(known))} (line 1)`);
  });

  it('refuses an unknown host by default, and with trust_on_first_use accepts it printing its fingerprint', () => {
    const strict = hostVerifier({ host: '10.0.0.9', port: 22, knownHostsFile: file });
    expect(strict.verify(blob(other))).toBe(false);
    expect(strict.failure()?.message).toMatch(/^10\.0\.0\.9: host not in .* \(it offered ssh-ed25519 SHA256:.*\); add it \(ssh-keyscan\) or set ssh\.trust_on_first_use: true$/);
    const warned: string[] = [];
    const tofu = hostVerifier({ host: '10.0.0.9', port: 22, knownHostsFile: file, trustOnFirstUse: true, warn: (l) => warned.push(l) });
    expect(tofu.verify(blob(other))).toBe(true);
    expect(warned).toEqual([`10.0.0.9: not in ${file}; accepting its host key ssh-ed25519 ${fingerprint(blob(other))} (ssh.trust_on_first_use)`]);
  });

  it('treats a missing default file as empty, but a missing configured file as an error', () => {
    const v = hostVerifier({ host: '10.0.0.1', port: 22, home: dir });
    expect(v.verify(blob(known))).toBe(false);
    expect(() => hostVerifier({ host: '10.0.0.1', port: 22, knownHostsFile: join(dir, 'nope') })).toThrow(`10.0.0.1: cannot read known_hosts file ${join(dir, 'nope')}: ENOENT`);
  });
});
