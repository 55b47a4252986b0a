import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~` and `~/…` as a shell would expand them: lab.yaml is written by hand, like a command line. */
export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}
