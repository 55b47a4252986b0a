import { HostKeyError } from './host-verifier.ts';

export type FailureKind = 'unreachable' | 'timeout' | 'auth' | 'host-key' | 'tls' | 'key' | 'config' | 'api-too-old' | 'docker' | 'other';

const WHAT: Record<FailureKind, string> = {
  unreachable: 'unreachable',
  timeout: 'no answer in time',
  auth: 'SSH login refused',
  'host-key': 'host key refused',
  tls: 'TLS handshake failed',
  key: 'SSH key unusable',
  config: 'configuration unusable',
  'api-too-old': 'Docker API too old',
  docker: 'Docker API error',
  other: 'failed',
};

/** What failed on which host: `<host>: <what>: <detail>`. */
export class RemoteHostError extends Error {
  constructor(
    readonly host: string,
    readonly kind: FailureKind,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${host}: ${WHAT[kind]}: ${detail}`, options);
    this.name = 'RemoteHostError';
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'EADDRNOTAVAIL']);
const TLS_CODES = new Set(['EPROTO', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE']);

/**
 * The kind of a failure from ssh2, net, tls or dockerode. ssh2 marks its errors with a `level`
 * (client-socket, client-timeout, client-authentication, handshake), Node with a `code`; a host
 * key refused by our verifier reaches ssh2's caller only as "Host denied", so the verifier's own
 * HostKeyError is looked for first.
 */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof RemoteHostError) return err.kind;
  if (err instanceof HostKeyError) return 'host-key';
  const e = (err ?? {}) as { code?: unknown; level?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const level = typeof e.level === 'string' ? e.level : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (level === 'client-authentication' || /authentication methods failed/i.test(message)) return 'auth';
  if (/Host denied/i.test(message)) return 'host-key';
  if (level === 'client-timeout' || code === 'ETIMEDOUT' || /timed out/i.test(message)) return 'timeout';
  if (UNREACHABLE.has(code) || level === 'client-dns') return 'unreachable';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) return 'tls';
  if (/certificate|ssl routines|TLS handshake|secure TLS connection/i.test(message)) return 'tls';
  if (level === 'client-socket') return 'unreachable';
  return 'other';
}

/** Any failure as a RemoteHostError naming the host (kept as is when it already is one). */
export function toRemoteHostError(host: string, err: unknown): RemoteHostError {
  if (err instanceof RemoteHostError) return err;
  const kind = classifyFailure(err);
  return new RemoteHostError(host, kind, err instanceof Error ? err.message : String(err), { cause: err });
}
