#!/usr/bin/env zx
// Scenario 2 once: load-generator traffic → scale-up one replica at a time → scale-down (see --help).
import { register } from 'tsx/esm/api';

register();
const { runScenario2Cli } = await import('./lib/cli/scenario2-cli.ts');
const { scriptArgs } = await import('./lib/cli/script-args.ts');
process.exitCode = await runScenario2Cli(scriptArgs());
