#!/usr/bin/env zx
// Scenario 1: CPU or memory stress with little network, the manager migrates the task; prints T0–T6. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { experimentMain } = await import('./lib/cli/experiment-cli.ts');
process.exitCode = await experimentMain('scenario1', 'Scenario 1: CPU (and memory) stress with little network; the manager migrates the task with zero downtime.', scriptArgs());
