import { loadLab, stateDir } from '../lib/config/lab-config.ts';
import { LocalLab } from './local-lab.ts';
import { acquireLabLock } from './lab-lock.ts';

/**
 * Lab tests run against the lab of lab.yaml, one test process at a time (a lock in the lab's state
 * folder); a local lab is brought up (idempotent) first.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const lab = await loadLab();
  const release = await acquireLabLock(stateDir(lab), 'vitest lab tests');
  try {
    if (lab.kind === 'local') await new LocalLab(lab).up();
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}
