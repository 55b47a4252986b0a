import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One line of an OpenSSH known_hosts file. */
export interface KnownHost {
  marker?: '@revoked' | '@cert-authority';
  /** Plain patterns (comma-separated in the file, `!` negates) or one hashed name. */
  hosts: { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
  line: number;
}

/** Parses known_hosts text; lines that are not entries (comments, garbage) are skipped as ssh does. */
export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift() as KnownHost['marker'] : undefined;
    if (fields.length < 3) return;
    const [hostField, keyType, keyB64] = fields;
    const key = Buffer.from(keyB64, 'base64');
    // a key blob names its own type: anything else is not a key line
    if (keyTypeOf(key) !== keyType) return;
    let hosts: KnownHost['hosts'];
    const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(hostField);
    if (hashed) hosts = { kind: 'hashed', salt: Buffer.from(hashed[1], 'base64'), hash: Buffer.from(hashed[2], 'base64') };
    else hosts = { kind: 'patterns', patterns: hostField.split(',') };
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, key, line: i + 1 });
  });
  return out;
}

/** The name ssh looks a host up by: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function glob(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether an entry names the host (hashed: HMAC-SHA1 of the name under the entry's salt). */
export function entryMatches(entry: KnownHost, host: string, port = 22): boolean {
  const name = knownHostsName(host, port);
  if (entry.hosts.kind === 'hashed') {
    const mac = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return mac.length === entry.hosts.hash.length && timingSafeEqual(mac, entry.hosts.hash);
  }
  let hit = false;
  for (const p of entry.hosts.patterns) {
    if (p.startsWith('!')) {
      if (glob(p.slice(1), name)) return false;
    } else if (glob(p, name)) hit = true;
  }
  return hit;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and unpadded base64. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written at the start of an SSH public key blob (e.g. ssh-ed25519). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return n > 0 && 4 + n <= key.length ? key.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown' }
  | { status: 'revoked' }
  | { status: 'mismatch'; known: { keyType: string; fingerprint: string; line: number }[] };

/**
 * The host's key against the file's entries for it. Certificate authorities are not checked here
 * (ssh2 offers no host certificates), so they neither vouch for a host nor count against one.
 */
export function checkHostKey(entries: readonly KnownHost[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, host, port));
  if (mine.some((e) => e.marker === '@revoked' && e.key.equals(key))) return { status: 'revoked' };
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return { status: 'known' };
  if (plain.length === 0) return { status: 'unknown' };
  return { status: 'mismatch', known: plain.map((e) => ({ keyType: e.keyType, fingerprint: fingerprint(e.key), line: e.line })) };
}

const ALGORITHMS_OF: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host key algorithms to offer for a host with known keys: only the known types, as OpenSSH
 * prefers them, so a host that also has a key of another type is not taken for a changed host.
 * Undefined when the host is not in the file (ssh2's defaults then apply).
 */
export function hostKeyAlgorithms(entries: readonly KnownHost[], host: string, port: number): string[] | undefined {
  const types = entries.filter((e) => e.marker === undefined && entryMatches(e, host, port)).map((e) => e.keyType);
  if (types.length === 0) return undefined;
  return [...new Set(types.flatMap((t) => ALGORITHMS_OF[t] ?? [t]))];
}
