import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The arguments after the entry script, whether it ran as `zx x.mjs …`, `node x.mjs …` or `npx zx …`. */
export function scriptArgs(argv = process.argv): string[] {
  const i = argv.findIndex((a, n) => n > 0 && /\.(mjs|ts|js)$/.test(a) && !/\/(zx|cli)\.(mjs|js)$/.test(a) && !a.includes('node_modules'));
  return i >= 0 ? argv.slice(i + 1) : argv.slice(2);
}

export class UsageError extends Error {}

/** node:util parseArgs with errors that name the flag and a pointer to --help. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see --help)`);
  }
}
