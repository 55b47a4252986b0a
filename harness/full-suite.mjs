#!/usr/bin/env zx
// The main job: lab up, deploy, baseline + scenario 1 + scenario 2 × N, report. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { main } = await import('./lib/cli/full-suite-cli.ts');
process.exitCode = await main(scriptArgs());
