#!/usr/bin/env zx
// Availability probe every 100 ms against the entrypoint, with a downtime summary. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { main } = await import('./lib/cli/probe-cli.ts');
process.exitCode = await main(scriptArgs());
