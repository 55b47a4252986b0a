#!/usr/bin/env zx
// Builds, pushes and deploys agent, manager and web-stress on the lab of lab.yaml. See --help.
import { register } from 'tsx/esm/api';

register();
const { scriptArgs } = await import('./lib/cli/script-args.ts');
const { main } = await import('./lib/cli/deploy-cli.ts');
process.exitCode = await main(scriptArgs());
