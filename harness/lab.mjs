#!/usr/bin/env zx
// The local lab: `up`, `down [--purge]`, `status`, `images`. Reads lab.yaml (or --lab <file>).
import { register } from 'tsx/esm/api';

register();
const { runLabCli } = await import('./lib/cli/lab-cli.ts');
const { scriptArgs } = await import("./lib/cli/script-args.ts");
process.exitCode = await runLabCli(scriptArgs());
