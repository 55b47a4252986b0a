#!/usr/bin/env zx
// T0–T6 of recent recovery actions from the agents' and manager's logs. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { main } = await import('./lib/cli/mttr-cli.ts');
process.exitCode = await main(scriptArgs());
