#!/usr/bin/env zx
// Docker Swarm's reactive recovery: manager off, kill -9 of the task, MTTR and downtime. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { experimentMain } = await import('./lib/cli/experiment-cli.ts');
process.exitCode = await experimentMain('baseline', "Reactive baseline: SwarmGuard's manager off, kill -9 of the task, recovery time and downtime measured by the probe.", scriptArgs());
