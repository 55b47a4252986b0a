import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLab, stateDir, swarmNodes } from '../lib/config/lab-config.ts';
import { LocalLab } from './local-lab.ts';
import { dockerFor, nodeLeftoverPids } from './node-daemons.ts';
import { killAll, readPid } from './processes.ts';
import { grownLab } from './grown-lab.ts';
import { listNetns } from './lab-network.ts';

const lab = await loadLab();
const local = new LocalLab(lab);

function labMounts(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.includes(stateDir(lab)) || /\bsg-[a-z0-9-]+\b/.test(l));
}

async function expectLabWorks(): Promise<void> {
  const s = await local.status();
  expect(s.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(swarmNodes(lab).map((n) => `${n.name}:ready`));
  expect(s.services.filter((v) => v.state !== 'running')).toEqual([]);
  expect(s.entrypointUp).toBe(true);
}

describe.runIf(lab.kind === 'local')('the local lab lifecycle', () => {
  it('down leaves no namespace, bridge, veth, daemon or mount behind, and up brings it back', async () => {
    await local.down();
    expect(await local.leftovers()).toEqual([]);
    expect(labMounts()).toEqual([]);
    const links = readFileSync('/proc/net/dev', 'utf8');
    expect(links).not.toMatch(/sgv-|sgbr/);

    const warm = await local.up();
    console.log(`warm lab up (packages and images present): ${warm.seconds.toFixed(1)} s`);
    await expectLabWorks();
  });

  it("a node added by growing the lab is removed by up of the lab's own size, and by down", async () => {
    const { lab: grown, added } = grownLab(lab, swarmNodes(lab).length + 1);
    const extra = added[0]!.name;
    const gone = async () => {
      expect(await listNetns()).not.toContain(`sg-${extra}`);
      expect(await nodeLeftoverPids(extra)).toEqual([]);
    };
    await new LocalLab(grown).up();
    const s = await new LocalLab(grown).status();
    expect(s.nodes.find((n) => n.name === extra)?.state).toBe('ready');

    await local.up(); // back to the lab's own size
    await gone();
    await expectLabWorks();
    const members = (await dockerFor(local.paths, lab.swarm.manager.name).listNodes()) as { Description: { Hostname: string } }[];
    expect(members.map((n) => n.Description.Hostname)).not.toContain(extra);

    await new LocalLab(grown).up();
    await local.down(); // the record names the grown node: down removes it too
    await gone();
    expect(await local.leftovers()).toEqual([]);
    await local.up();
    await expectLabWorks();
  });

  it('up recovers after kill -9 of every lab process', async () => {
    const paths = local.paths;
    const pids: number[] = [];
    for (const n of swarmNodes(lab)) {
      pids.push(readPid(paths.node(n.name).pidFile) ?? 0, ...(await nodeLeftoverPids(n.name)));
    }
    for (const s of local.services()) {
      pids.push(readPid(paths.service(s).pidFile) ?? 0);
    }
    const victims = pids.filter((p) => p > 0);
    expect(victims.length).toBeGreaterThan(10);
    await killAll(victims);

    const s = await local.status();
    expect(s.nodes.filter((n) => n.pid !== undefined)).toEqual([]);

    const recovered = await local.up();
    console.log(`lab up after kill -9 of ${victims.length} processes: ${recovered.seconds.toFixed(1)} s`);
    await expectLabWorks();
  });
});
