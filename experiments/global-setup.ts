import { loadLab, stateDir } from '../harness/lib/config/lab-config.ts';
import { LocalLab } from '../harness/lab/local-lab.ts';
import { acquireLabLock } from '../harness/lab/lab-lock.ts';
import { deploySystem } from '../harness/lib/cluster/deploy.ts';

/**
 * Every experiment needs the lab up and SwarmGuard deployed: done here, so that
 * `npx vitest run experiments/scenario1` works on a fresh machine with no manual step.
 * The lab is held for this process alone until the experiments end.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const lab = await loadLab();
  const release = await acquireLabLock(stateDir(lab), 'vitest experiments');
  try {
    if (lab.kind === 'local') await new LocalLab(lab).up();
    const r = await deploySystem(lab, (l) => process.stderr.write(`[deploy] ${l}\n`));
    process.stderr.write(`[deploy] SwarmGuard deployed in ${r.seconds.toFixed(1)} s\n`);
  } catch (err) {
    await release();
    throw err;
  }
  return release;
}
