import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLab, stateDir, swarmNodes } from '../lib/config/lab-config.ts';
import { LocalLab } from './local-lab.ts';
import { nodeLeftoverPids } from './node-daemons.ts';
import { killAll, readPid } from './processes.ts';

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
