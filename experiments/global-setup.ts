import { loadLab } from '../harness/lib/lab-config.ts';
import { LocalLab } from '../harness/lab/local-lab.ts';
import { deploySystem } from '../harness/lib/deploy.ts';

/**
 * Every experiment needs the lab up and SwarmGuard deployed: done here, so that
 * `npx vitest run experiments/scenario1` works on a fresh machine with no manual step.
 */
export default async function setup(): Promise<void> {
  const lab = await loadLab();
  if (lab.kind === 'local') await new LocalLab(lab).up();
  const r = await deploySystem(lab, (l) => process.stderr.write(`[deploy] ${l}\n`));
  process.stderr.write(`[deploy] SwarmGuard deployed in ${r.seconds.toFixed(1)} s\n`);
}
