import { describe, expect, it } from 'vitest';
import { registryAuth } from './registry-auth.ts';

describe('registryAuth', () => {
  const config = JSON.stringify({ auths: { 'https://registry.lab:5000': { auth: Buffer.from('ci:p:w').toString('base64') }, other: {} }, credsStore: 'desktop' });
  it('takes the CLI login for the registry', () => {
    expect(registryAuth('registry.lab:5000', config)).toEqual({ username: 'ci', password: 'p:w', serveraddress: 'registry.lab:5000' });
  });
  it('is undefined without a stored login', () => {
    expect(registryAuth('other.lab:5000', config)).toBeUndefined();
    expect(registryAuth('other', config)).toBeUndefined();
  });
  it('names the registry when config.json is broken', () => {
    expect(() => registryAuth('registry.lab:5000', '{')).toThrow(/^registry registry\.lab:5000: Docker CLI config\.json is not JSON/);
  });
});
