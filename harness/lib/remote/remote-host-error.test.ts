import { describe, expect, it } from 'vitest';
import { HostKeyError } from './host-verifier.ts';
import { classifyFailure, RemoteHostError, toRemoteHostError } from './remote-host-error.ts';

const err = (message: string, fields: Record<string, string> = {}) => Object.assign(new Error(message), fields);

describe('classifyFailure', () => {
  it.each([
    [err('connect ECONNREFUSED 10.0.0.1:22', { code: 'ECONNREFUSED', level: 'client-socket' }), 'unreachable'],
    [err('getaddrinfo ENOTFOUND node-1.lab', { code: 'ENOTFOUND' }), 'unreachable'],
    [err('connect EHOSTUNREACH 10.0.0.1:22', { code: 'EHOSTUNREACH' }), 'unreachable'],
    [err('Timed out while waiting for handshake', { level: 'client-timeout' }), 'timeout'],
    [err('All configured authentication methods failed', { level: 'client-authentication' }), 'auth'],
    [err('Host denied (verification failed)', { level: 'handshake' }), 'host-key'],
    [new HostKeyError('10.0.0.1', '10.0.0.1: HOST KEY MISMATCH'), 'host-key'],
    [err('self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'tls'],
    [err("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'tls'],
    [err('wrong version number', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'tls'],
    [err('(HTTP code 500) server error'), 'other'],
    [new RemoteHostError('w', 'api-too-old', 'x'), 'api-too-old'],
  ] as const)('%s → %s', (e, kind) => {
    expect(classifyFailure(e)).toBe(kind);
  });
});

describe('toRemoteHostError', () => {
  it('names the host and what failed, keeping the cause', () => {
    const cause = err('All configured authentication methods failed', { level: 'client-authentication' });
    const e = toRemoteHostError('worker-1 (root@10.0.0.2:22)', cause);
    expect(e.message).toBe('worker-1 (root@10.0.0.2:22): SSH login refused: All configured authentication methods failed');
    expect(e.kind).toBe('auth');
    expect(e.cause).toBe(cause);
    expect(toRemoteHostError('other', e)).toBe(e);
  });
});
