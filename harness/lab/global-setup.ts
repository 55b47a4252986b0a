import { loadLab } from '../lib/lab-config.ts';
import { LocalLab } from './local-lab.ts';

/** Lab tests run against the lab of lab.yaml; a local lab is brought up (idempotent) first. */
export default async function setup(): Promise<void> {
  const lab = await loadLab();
  if (lab.kind === 'local') await new LocalLab(lab).up();
}
