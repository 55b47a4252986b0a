import { readFileSync } from 'node:fs';
import { expandHome } from './expand-home.ts';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface TlsOptions {
  protocol: 'https';
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * dockerode's options for a Docker API over TLS (as `docker --tlsverify` uses them): the daemon's
 * certificate is checked against the CA and this client presents its own. Files are read now so a
 * missing one is reported naming the node and the key, not as a TLS failure later.
 */
export function tlsOptions(node: string, files: TlsFiles, home?: string): TlsOptions {
  const read = (name: keyof TlsFiles): Buffer => {
    const path = expandHome(files[name], home);
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${node}: cannot read tls.${name} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  };
  return { protocol: 'https', ca: read('ca'), cert: read('cert'), key: read('key') };
}
