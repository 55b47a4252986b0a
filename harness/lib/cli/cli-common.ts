import { loadLab, stateDir, type LabConfig } from '../config/lab-config.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';
import { UsageError } from './script-args.ts';
import { errorExitCode } from './exit-codes.ts';

/** Runs an entry script's body: a usage error prints the help too; see exit-codes.ts for the codes. */
export async function runCli(name: string, help: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    console.error(err instanceof UsageError ? `${name}: ${err.message}\n\n${help}` : `${name}: ${(err as Error).message}`);
    return errorExitCode(err);
  }
}

/** Loads the lab and holds the lab lock while `work` runs. */
export async function withLab<T>(labFile: string, who: string, work: (lab: LabConfig) => Promise<T>): Promise<T> {
  const lab = await loadLab(labFile);
  const release = await acquireLabLock(stateDir(lab), who);
  try {
    return await work(lab);
  } finally {
    await release();
  }
}

export function positiveInt(flag: string, raw: string | undefined, fallback: number, max = 1000): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${flag}: got ${JSON.stringify(raw)}, expected a whole number from 1 to ${max}`);
  return n;
}

export function positiveNumber(flag: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new UsageError(`--${flag}: got ${JSON.stringify(raw)}, expected a number above 0 and at most ${max}`);
  return n;
}

export const labFlag = { type: 'string' as const, default: process.env.SWARMGUARD_LAB ?? 'lab.yaml' };
export const helpFlag = { type: 'boolean' as const, short: 'h', default: false };
