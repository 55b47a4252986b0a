#!/usr/bin/env zx
// Removes test services, stops load, resets the app (--full: removes SwarmGuard and its metrics). See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { main } = await import('./lib/cli/cleanup-cli.ts');
process.exitCode = await main(scriptArgs());
