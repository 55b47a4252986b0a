import { readFileSync } from 'node:fs';
// ssh2 is CommonJS: Node's ESM loader sees no named exports in it (vitest's interop does)
import ssh2 from 'ssh2';

const { utils } = ssh2;
import { expandHome } from './expand-home.ts';

export interface SshKey {
  privateKey: Buffer;
  passphrase?: string;
}

export interface ReadKeyOptions {
  /** Who the key is for, named in every error. */
  host: string;
  /** NAME of the environment variable holding the passphrase (ssh.passphrase_env). */
  passphraseEnv?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/**
 * The key file's contents for ssh2's `privateKey`: ssh2 has no key-file option and silently
 * ignores a `privateKeyPath`, which left only the SSH agent to authenticate. Read synchronously
 * because Docker clients are made synchronously; the key is parsed here so that a wrong
 * passphrase or a missing one is reported before any connection, naming the host.
 */
export function readSshKey(file: string, options: ReadKeyOptions): SshKey {
  const path = expandHome(file, options.home);
  const env = options.env ?? process.env;
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(path);
  } catch (err) {
    throw new Error(`${options.host}: cannot read SSH key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let passphrase: string | undefined;
  if (options.passphraseEnv) {
    passphrase = env[options.passphraseEnv];
    if (passphrase === undefined) throw new Error(`${options.host}: SSH key ${path} needs its passphrase in $${options.passphraseEnv}, which is not set`);
  }
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    const hint = encrypted && !options.passphraseEnv ? ' (encrypted: name the variable holding its passphrase in ssh.passphrase_env)' : '';
    throw new Error(`${options.host}: SSH key ${path} is not usable: ${parsed.message}${hint}`);
  }
  return passphrase === undefined ? { privateKey } : { privateKey, passphrase };
}
