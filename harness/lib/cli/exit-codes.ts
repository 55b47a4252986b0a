import type { IterationRecord } from '../report/journal-schema.ts';
import { UsageError } from './script-args.ts';

/**
 * What an entry script's exit status means. Like k6, a failed threshold is its own non-zero code,
 * apart from a harness that could not measure: CI can tell "SwarmGuard missed an SLO" from "the
 * lab was unreachable". Usage errors keep a code of their own (EX_USAGE of sysexits.h).
 */
export const EXIT = {
  /** Everything ran and every SLO and check held. */
  ok: 0,
  /** At least one iteration failed an SLO or its checks, and none erred. */
  failed: 1,
  /** A harness or lab error: an iteration that could not be completed, or an exception before or after the runs. */
  error: 2,
  /** A bad flag or argument; nothing was done. */
  usage: 64,
} as const;

const LAB_ERRORS = 'a bad lab.yaml, a lab that cannot be reached or brought up';

/**
 * The line an entry script's --help ends with: what 0 means for it, what 1 means if it uses 1, and
 * examples of its harness errors.
 */
export function exitHelp(o: { ok: string; failed?: string; errors?: string }): string {
  const one = o.failed ? ` ${EXIT.failed} ${o.failed};` : '';
  return `Exit status: ${EXIT.ok} ${o.ok};${one} ${EXIT.error} a harness or lab error (${o.errors ?? LAB_ERRORS}); ${EXIT.usage} a usage error.`;
}

/** The exit status line of the scripts that run experiments (full suite, baseline, scenario 1 …). */
export const RUN_EXIT_HELP = exitHelp({
  ok: 'every iteration passed',
  failed: 'an iteration failed an SLO or its checks and none erred',
  errors: `${LAB_ERRORS}, an iteration that could not be completed`,
});

/** A run's exit status from its iterations: an error outranks a failure, which outranks a pass. */
export function runExitCode(iterations: readonly Pick<IterationRecord, 'outcome'>[]): number {
  if (iterations.some((i) => i.outcome === 'error')) return EXIT.error;
  if (iterations.some((i) => i.outcome === 'failed')) return EXIT.failed;
  return EXIT.ok;
}

/** The exit status of an exception that ended a script. */
export function errorExitCode(err: unknown): number {
  return err instanceof UsageError ? EXIT.usage : EXIT.error;
}
