import Table from 'cli-table3';
import { labFlag, helpFlag } from './cli-common.ts';
import { EXIT, errorExitCode, exitHelp } from './exit-codes.ts';
import { loadLab } from '../config/lab-config.ts';
import { parseFlags, UsageError } from './script-args.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { buildSystemImages } from '../cluster/images.ts';

const HELP = `usage: npx zx harness/lab.mjs <up|down|status|images> [--lab lab.yaml] [--purge]
  up       install what is missing, bring the local lab up (idempotent, repairs leftovers)
  down     stop every lab process, remove namespaces, veths, bridge, rules (--purge: also its data)
  status   nodes and services of the lab
  images   build the system images and push them to the lab's registry
${exitHelp({ ok: 'done (status: every node ready, every service running)', failed: 'status found a node or service not ready', errors: 'a bad lab.yaml, a lab that cannot be brought up or torn down' })}`;

export async function runLabCli(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags(argv, {
      lab: labFlag,
      purge: { type: 'boolean', default: false },
      help: helpFlag,
    });
    const command = positionals[0];
    if (values.help || !command) {
      console.log(HELP);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const lab = await loadLab(values.lab);
    switch (command) {
      case 'up': {
        const r = await new LocalLab(lab).up();
        console.log(`lab ${lab.name} is up in ${r.seconds.toFixed(1)} s${r.installed.length ? ` (installed ${r.installed.join(', ')})` : ''}; base image ${r.baseImage}`);
        return 0;
      }
      case 'down':
        await new LocalLab(lab).down({ purge: values.purge });
        console.log(`lab ${lab.name} is down`);
        return 0;
      case 'status':
        return printStatus(new LocalLab(lab));
      case 'images': {
        const refs = await buildSystemImages(lab);
        for (const r of refs) console.log(`pushed ${r}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}": expected up, down, status or images`);
    }
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return errorExitCode(err);
  }
}

async function printStatus(lab: LocalLab): Promise<number> {
  const s = await lab.status();
  const nodes = new Table({ head: ['node', 'role', 'state', 'address', 'dockerd pid'] });
  for (const n of s.nodes) nodes.push([n.name, n.role, n.state, n.address, n.pid ?? '-']);
  const services = new Table({ head: ['service', 'state', 'pid'] });
  for (const v of s.services) services.push([v.name, v.state, v.pid ?? '-']);
  services.push(['entrypoint', s.entrypointUp ? 'listening' : 'closed', '-']);
  console.log(nodes.toString());
  console.log(services.toString());
  const ready = s.nodes.every((n) => n.state === 'ready') && s.services.every((v) => v.state === 'running');
  return ready ? EXIT.ok : EXIT.failed;
}
