import { readFileSync } from 'node:fs';
import { expandHome } from './expand-home.ts';
import { checkHostKey, fingerprint, hostKeyAlgorithms, keyTypeOf, parseKnownHosts, type KnownHost } from './known-hosts.ts';

/** A host key that is refused; the message names the host and the fingerprints. */
export class HostKeyError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostKeyError';
  }
}

export interface HostVerifierOptions {
  host: string;
  port: number;
  /** ssh.known_hosts; unset: ~/.ssh/known_hosts, which may be missing (then every host is unknown). */
  knownHostsFile?: string;
  trustOnFirstUse?: boolean;
  warn?: (line: string) => void;
  home?: string;
}

export interface HostVerifier {
  /** For ssh2's `hostVerifier`: true to go on. */
  verify: (key: Buffer) => boolean;
  /** Why verify() refused, for the connection error (ssh2 only says "Host denied"). */
  failure: () => HostKeyError | undefined;
  /** For ssh2's `algorithms.serverHostKey`. */
  algorithms?: string[];
}

const warned = new Set<string>();

function loadEntries(opts: HostVerifierOptions): { file: string; entries: KnownHost[] } {
  const file = expandHome(opts.knownHostsFile ?? '~/.ssh/known_hosts', opts.home);
  try {
    return { file, entries: parseKnownHosts(readFileSync(file, 'utf8')) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.knownHostsFile === undefined) return { file, entries: [] };
    throw new Error(`${opts.host}: cannot read known_hosts file ${file}: ${code ?? (err as Error).message}`, { cause: err });
  }
}

/**
 * Checks a host's key against known_hosts like OpenSSH's StrictHostKeyChecking: a changed key is
 * always refused; an unknown host is refused unless trust_on_first_use says to accept it, and then
 * its fingerprint is printed so it can be compared out of band (nothing is written to the file).
 */
export function hostVerifier(opts: HostVerifierOptions): HostVerifier {
  const { file, entries } = loadEntries(opts);
  const where = opts.port === 22 ? opts.host : `${opts.host}:${opts.port}`;
  const warn = opts.warn ?? ((line: string) => console.warn(line));
  let failed: HostKeyError | undefined;
  const verify = (key: Buffer): boolean => {
    const seen = `${keyTypeOf(key)} ${fingerprint(key)}`;
    const verdict = checkHostKey(entries, opts.host, opts.port, key);
    switch (verdict.status) {
      case 'known':
        return true;
      case 'revoked':
        failed = new HostKeyError(opts.host, `${where}: host key ${seen} is marked @revoked in ${file}`);
        return false;
      case 'mismatch': {
        const known = verdict.known.map((k) => `${k.keyType} ${k.fingerprint} (line ${k.line})`).join(', ');
        failed = new HostKeyError(opts.host, `${where}: HOST KEY MISMATCH: it offered ${seen}, ${file} has ${known}; if the host was reinstalled, fix the file (ssh-keygen -R), otherwise do not connect`);
        return false;
      }
      case 'unknown':
        if (opts.trustOnFirstUse) {
          const line = `${where}: not in ${file}; accepting its host key ${seen} (ssh.trust_on_first_use)`;
          // once per process: a host is logged in to again after every broken connection
          if (!warned.has(line)) warn(line);
          warned.add(line);
          return true;
        }
        failed = new HostKeyError(opts.host, `${where}: host not in ${file} (it offered ${seen}); add it (ssh-keyscan) or set ssh.trust_on_first_use: true`);
        return false;
    }
  };
  const algorithms = hostKeyAlgorithms(entries, opts.host, opts.port);
  return { verify, failure: () => failed, ...(algorithms ? { algorithms } : {}) };
}
