#!/usr/bin/env zx
// Regenerates results/<run-id>.md (and its charts) from results/raw/<run-id>/. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { main } = await import('./lib/cli/report-cli.ts');
process.exitCode = await main(scriptArgs());
