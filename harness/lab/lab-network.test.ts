import { describe, expect, it } from 'vitest';
import { isLocalAddress } from './lab-network.ts';

describe('isLocalAddress', () => {
  it("holds for loopback and the host's own interface addresses", () => {
    const up = ['127.0.0.1', '10.210.0.1', '192.0.2.10', 'fe80::1'];
    expect(isLocalAddress('localhost', up)).toBe(true);
    expect(isLocalAddress('127.0.0.1', up)).toBe(true);
    expect(isLocalAddress('[::1]', up)).toBe(true);
    expect(isLocalAddress('10.210.0.1', up)).toBe(true);
    expect(isLocalAddress('[fe80::1]', up)).toBe(true);
  });

  it('fails for the bridge address once the bridge is gone, and for any other host', () => {
    const down = ['127.0.0.1', '192.0.2.10'];
    expect(isLocalAddress('10.210.0.1', down)).toBe(false);
    expect(isLocalAddress('10.210.0.11', down)).toBe(false);
    expect(isLocalAddress('example.org', down)).toBe(false);
  });

  it("reads this host's interfaces by default: its loopback is local, a documentation address is not", () => {
    expect(isLocalAddress('127.0.0.1')).toBe(true);
    expect(isLocalAddress('198.51.100.7')).toBe(false);
  });
});
