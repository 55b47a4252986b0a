import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testKeyPair } from './fake-ssh-server.ts';
import { describe, expect, it } from 'vitest';
import { expandHome } from './expand-home.ts';
import { readSshKey } from './ssh-key.ts';

const home = mkdtempSync(join(tmpdir(), 'ssh-key-test-'));
mkdirSync(join(home, '.ssh'));
const plain = testKeyPair().private;
const encrypted = testKeyPair({ passphrase: 's3cret', cipher: 'aes256-ctr', rounds: 4 }).private;
writeFileSync(join(home, '.ssh', 'id_plain'), plain);
writeFileSync(join(home, '.ssh', 'id_enc'), encrypted);

describe('expandHome', () => {
  it('expands ~ and ~/ only', () => {
    expect(expandHome('~', '/h')).toBe('/h');
    expect(expandHome('~/.ssh/id', '/h')).toBe('/h/.ssh/id');
    expect(expandHome('/etc/~x', '/h')).toBe('/etc/~x');
    expect(expandHome('~other/id', '/h')).toBe('~other/id');
  });
});

describe('readSshKey', () => {
  it('reads the key file behind ~ into privateKey', () => {
    const key = readSshKey('~/.ssh/id_plain', { host: 'worker-1', home, env: {} });
    expect(key.privateKey.toString()).toBe(plain);
    expect(key.passphrase).toBeUndefined();
  });

  it('takes an encrypted key’s passphrase from the named variable', () => {
    const key = readSshKey('~/.ssh/id_enc', { host: 'worker-1', home, passphraseEnv: 'LAB_KEY_PASS', env: { LAB_KEY_PASS: 's3cret' } });
    expect(key.passphrase).toBe('s3cret');
  });

  it('names the host, the file and what is wrong', () => {
    expect(() => readSshKey('~/.ssh/missing', { host: 'worker-1', home, env: {} })).toThrow(`worker-1: cannot read SSH key ${home}/.ssh/missing: ENOENT`);
    expect(() => readSshKey('~/.ssh/id_enc', { host: 'worker-1', home, env: {} })).toThrow(/^worker-1: SSH key .*id_enc is not usable: .*ssh\.passphrase_env/);
    expect(() => readSshKey('~/.ssh/id_enc', { host: 'worker-1', home, passphraseEnv: 'LAB_KEY_PASS', env: {} })).toThrow('worker-1: SSH key ' + `${home}/.ssh/id_enc needs its passphrase in $LAB_KEY_PASS, which is not set`);
    expect(() => readSshKey('~/.ssh/id_enc', { host: 'worker-1', home, passphraseEnv: 'LAB_KEY_PASS', env: { LAB_KEY_PASS: 'wrong' } })).toThrow(/^worker-1: SSH key .* is not usable/);
  });
});
