#!/usr/bin/env zx
// Load from every load generator of the lab: --target --rps --ramp-time --hold-time --ramp-down-time (see --help).
import { register } from 'tsx/esm/api';

register();
const { runLoadCli } = await import('./lib/cli/load-cli.ts');
const { scriptArgs } = await import('./lib/cli/script-args.ts');
process.exitCode = await runLoadCli(scriptArgs());
