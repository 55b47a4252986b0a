import { afterEach, describe, expect, it, vi } from 'vitest';
import { LabConfigError } from '../config/lab-config.ts';
import { UsageError } from './script-args.ts';
import { runCli } from './cli-common.ts';
import { EXIT, errorExitCode, exitHelp, runExitCode } from './exit-codes.ts';

const its = (...outcomes: ('passed' | 'failed' | 'error')[]) => outcomes.map((outcome) => ({ outcome }));

describe('runExitCode', () => {
  it('0 when every iteration passed, also when none ran', () => {
    expect(runExitCode(its('passed', 'passed'))).toBe(0);
    expect(runExitCode([])).toBe(0);
  });

  it('1 when an iteration failed an SLO or its checks and none erred', () => {
    expect(runExitCode(its('passed', 'failed', 'passed'))).toBe(1);
    expect(runExitCode(its('failed', 'failed'))).toBe(1);
  });

  it('2 when an iteration erred, whatever the others did', () => {
    expect(runExitCode(its('error'))).toBe(2);
    expect(runExitCode(its('failed', 'error', 'passed'))).toBe(2);
  });
});

describe('errorExitCode and runCli', () => {
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  afterEach(() => err.mockClear());

  it('a usage error is 64, anything else thrown a harness error, 2', () => {
    expect(errorExitCode(new UsageError('--x: bad'))).toBe(EXIT.usage);
    expect(errorExitCode(new LabConfigError('lab.yaml', 'swarm.manager: required'))).toBe(EXIT.error);
    expect(errorExitCode(new Error('connect ECONNREFUSED 10.210.0.11:2375'))).toBe(EXIT.error);
    expect(new Set(Object.values(EXIT)).size).toBe(4);
  });

  it('passes the body\'s status through and maps what it throws, printing the help only for a usage error', async () => {
    expect(await runCli('x', 'usage: x', async () => 1)).toBe(1);
    expect(await runCli('x', 'usage: x', async () => runExitCode(its('passed', 'error')))).toBe(2);
    expect(await runCli('x', 'usage: x', async () => { throw new UsageError('--n: got "a"'); })).toBe(64);
    expect(err).toHaveBeenLastCalledWith('x: --n: got "a"\n\nusage: x');
    expect(await runCli('x', 'usage: x', async () => { throw new Error('lab unreachable'); })).toBe(2);
    expect(err).toHaveBeenLastCalledWith('x: lab unreachable');
  });

  it('the help line names every code', () => {
    expect(exitHelp({ ok: 'done', failed: 'a probe failed' })).toBe(
      'Exit status: 0 done; 1 a probe failed; 2 a harness or lab error (a bad lab.yaml, a lab that cannot be reached or brought up); 64 a usage error.',
    );
    expect(exitHelp({ ok: 'written', errors: 'an unreadable journal' })).toBe('Exit status: 0 written; 2 a harness or lab error (an unreadable journal); 64 a usage error.');
  });
});
