import { createHmac, randomBytes } from 'node:crypto';
import { testKeyPair } from './fake-ssh-server.ts';
import { describe, expect, it } from 'vitest';
import { checkHostKey, entryMatches, fingerprint, hostKeyAlgorithms, keyTypeOf, knownHostsName, parseKnownHosts } from './known-hosts.ts';

function publicKey(): { line: string; blob: Buffer } {
  const line = testKeyPair().public.trim();
  return { line: line.split(' ').slice(0, 2).join(' '), blob: Buffer.from(line.split(' ')[1], 'base64') };
}

/** A hashed host field as `ssh-keygen -H` writes it. */
function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const a = publicKey();
const b = publicKey();

describe('parseKnownHosts', () => {
  it('reads plain, hashed and marked entries and skips comments and garbage', () => {
    const text = [
      '# a comment',
      '',
      `node-1.lab,10.0.0.1 ${a.line} root@node-1`,
      `${hashed('10.0.0.2')} ${b.line}`,
      `@revoked 10.0.0.3 ${a.line}`,
      'not an entry',
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ keyType: 'ssh-ed25519', line: 3, hosts: { kind: 'patterns', patterns: ['node-1.lab', '10.0.0.1'] } });
    expect(entries[0].key.equals(a.blob)).toBe(true);
    expect(entries[1].hosts.kind).toBe('hashed');
    expect(entries[2].marker).toBe('@revoked');
  });
});

describe('entryMatches', () => {
  it('matches plain names, [host]:port for other ports, wildcards and negations', () => {
    const [plain, port, wild] = parseKnownHosts([`10.0.0.1 ${a.line}`, `[10.0.0.1]:2222 ${a.line}`, `*.lab,!bad.lab ${a.line}`].join('\n'));
    expect(knownHostsName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
    expect(entryMatches(plain, '10.0.0.1', 22)).toBe(true);
    expect(entryMatches(plain, '10.0.0.1', 2222)).toBe(false);
    expect(entryMatches(port, '10.0.0.1', 2222)).toBe(true);
    expect(entryMatches(port, '10.0.0.1', 22)).toBe(false);
    expect(entryMatches(wild, 'node-1.lab', 22)).toBe(true);
    expect(entryMatches(wild, 'bad.lab', 22)).toBe(false);
    expect(entryMatches(wild, 'node-1.lab.example', 22)).toBe(false);
  });

  it('matches hashed names, including [host]:port', () => {
    const [h22, h2222] = parseKnownHosts(`${hashed('node-1.lab')} ${a.line}\n${hashed('[node-1.lab]:2222')} ${a.line}`);
    expect(entryMatches(h22, 'node-1.lab', 22)).toBe(true);
    expect(entryMatches(h22, 'node-2.lab', 22)).toBe(false);
    expect(entryMatches(h2222, 'node-1.lab', 2222)).toBe(true);
    expect(entryMatches(h2222, 'node-1.lab', 22)).toBe(false);
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts([`10.0.0.1 ${a.line}`, `${hashed('10.0.0.2')} ${a.line}`, `@revoked 10.0.0.3 ${b.line}`, `@cert-authority *.lab ${b.line}`].join('\n'));

  it('knows a listed key, plain or hashed', () => {
    expect(checkHostKey(entries, '10.0.0.1', 22, a.blob)).toEqual({ status: 'known' });
    expect(checkHostKey(entries, '10.0.0.2', 22, a.blob)).toEqual({ status: 'known' });
  });

  it('reports another key as a mismatch with the known fingerprints and lines', () => {
    expect(checkHostKey(entries, '10.0.0.2', 22, b.blob)).toEqual({ status: 'mismatch', known: [{ keyType: 'ssh-ed25519', fingerprint: fingerprint(a.blob), line: 2 }] });
  });

  it('reports an unlisted host (also one only a CA line names) as unknown, and a revoked key as revoked', () => {
    expect(checkHostKey(entries, '10.0.0.9', 22, a.blob)).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, 'x.lab', 22, a.blob)).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, '10.0.0.3', 22, b.blob)).toEqual({ status: 'revoked' });
  });

  it('offers only the known key types of a listed host', () => {
    const type = Buffer.from('ssh-rsa');
    const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 1, 1])]);
    const rsa = parseKnownHosts(`10.0.0.5 ssh-rsa ${blob.toString('base64')}`);
    expect(hostKeyAlgorithms(rsa, '10.0.0.5', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms(entries, '10.0.0.1', 22)).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithms(entries, '10.0.0.9', 22)).toBeUndefined();
  });
});

describe('fingerprint and keyTypeOf', () => {
  it('formats like ssh-keygen -l (SHA256, unpadded base64) and reads the blob type', () => {
    expect(fingerprint(a.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('unknown');
  });
});
