import { readFileSync } from 'node:fs';
import { expandHome } from './expand-home.ts';

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/**
 * The login `docker login <registry>` stored in the Docker CLI's config.json (`auths`), for a push
 * through the API: the CLI sent it along when it pushed, so a lab whose registry needs a login keeps
 * working. Credential helpers (credsStore, credHelpers) are not run; undefined then, or when there
 * is no login for the registry (a push then goes without credentials, as to the lab's own registry).
 */
export function registryAuth(registry: string, configText?: string): RegistryAuth | undefined {
  let text = configText;
  if (text === undefined) {
    const file = expandHome(process.env.DOCKER_CONFIG ? `${process.env.DOCKER_CONFIG}/config.json` : '~/.docker/config.json');
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`registry ${registry}: cannot read Docker CLI config ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  let config: { auths?: Record<string, { auth?: string }> };
  try {
    config = JSON.parse(text) as typeof config;
  } catch (err) {
    throw new Error(`registry ${registry}: Docker CLI config.json is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const entry = Object.entries(config.auths ?? {}).find(([k]) => k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === registry)?.[1];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new Error(`registry ${registry}: its auths entry in config.json is not base64 of user:password`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
}
