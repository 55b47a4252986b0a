import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlsOptions } from './tls-options.ts';

const home = mkdtempSync(join(tmpdir(), 'tls-options-test-'));
for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(home, f), `-----${f}-----\n`);

describe('tlsOptions', () => {
  it('reads the three PEM files (~ expanded) for dockerode over https', () => {
    const o = tlsOptions('worker-1', { ca: '~/ca.pem', cert: `${home}/cert.pem`, key: '~/key.pem' }, home);
    expect(o.protocol).toBe('https');
    expect(o.ca.toString()).toBe('-----ca.pem-----\n');
    expect(o.cert.toString()).toBe('-----cert.pem-----\n');
    expect(o.key.toString()).toBe('-----key.pem-----\n');
  });

  it('names the node, the key and the file that cannot be read', () => {
    expect(() => tlsOptions('worker-1', { ca: '~/ca.pem', cert: '~/cert.pem', key: '~/nope.pem' }, home)).toThrow(`worker-1: cannot read tls.key ${home}/nope.pem: ENOENT`);
  });
});
