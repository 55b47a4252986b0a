import { parseFlags } from './script-args.ts';
import { runCli, withLab, labFlag, helpFlag } from './cli-common.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { deploySystem } from '../cluster/deploy.ts';
import { checkRemoteLab } from '../remote/preflight.ts';
import { exitHelp } from './exit-codes.ts';

const HELP = `usage: npx zx harness/deploy.mjs [--lab lab.yaml]
  Builds the images of agent, manager and web-stress, pushes them to the lab's registry, deploys
  swarmguard-agent (global), swarmguard-manager and web-stress, and waits until all are healthy.
  A local lab is brought up first; every host of a remote lab is checked first.
${exitHelp({ ok: 'deployed and healthy', errors: 'a bad lab.yaml, a lab that cannot be reached or brought up, a deployment that does not turn healthy' })}`;

export function main(argv: string[]): Promise<number> {
  return runCli('deploy', HELP, async () => {
    const { values } = parseFlags(argv, { lab: labFlag, help: helpFlag }, false);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    return withLab(values.lab, 'deploy', async (lab) => {
      if (lab.kind === 'local') await new LocalLab(lab).up();
      else for (const c of await checkRemoteLab(lab)) console.log(`remote lab: ${c.detail}`);
      const r = await deploySystem(lab, (l) => console.log(l));
      for (const [name, image] of Object.entries(r.images)) console.log(`${name.padEnd(10)} ${image}`);
      console.log(`deployed and healthy in ${r.seconds.toFixed(1)} s; entrypoint ${lab.entrypoint}, manager ${lab.manager_api}`);
      return 0;
    });
  });
}
