import { swarmNodes, type LabConfig, type LabNode } from '../lib/config/lab-config.ts';

/**
 * The local lab with workers added until the swarm has `nodes` nodes: named scale-1, scale-2 …
 * (skipping names the lab already uses), at the free addresses of the lab's /24 after the highest
 * one in use. `new LocalLab(grown).up()` brings them up; `up()` with the lab's own configuration
 * removes them again.
 */
export function grownLab(lab: LabConfig, nodes: number): { lab: LabConfig; added: LabNode[] } {
  if (lab.kind !== 'local' || !lab.network) throw new Error(`lab ${lab.name} is kind ${lab.kind}: only the local lab can be grown by the harness`);
  const have = swarmNodes(lab).length;
  if (!Number.isInteger(nodes) || nodes <= have) throw new Error(`cannot grow lab ${lab.name} to ${nodes} nodes: it has ${have} already (experiments.scale.nodes must be larger)`);
  const hosts = [...swarmNodes(lab), ...lab.load_generators];
  const prefix = lab.network.host_address.split('.').slice(0, 3).join('.');
  const used = new Set([lab.network.host_address, ...hosts.map((h) => h.address)]);
  const names = new Set(hosts.map((h) => h.name));
  const lastOctets = [...used].filter((a) => a.startsWith(`${prefix}.`)).map((a) => Number(a.split('.')[3]));
  const added: LabNode[] = [];
  let k = 0;
  for (let last = Math.max(...lastOctets) + 1; last <= 254 && added.length < nodes - have; last++) {
    const address = `${prefix}.${last}`;
    if (used.has(address)) continue;
    let name: string;
    do name = `scale-${++k}`;
    while (names.has(name));
    added.push({ name, address });
  }
  if (added.length < nodes - have) {
    throw new Error(`cannot grow lab ${lab.name} to ${nodes} nodes: only ${added.length} free addresses above the highest in use in ${prefix}.0/24`);
  }
  return { lab: { ...lab, swarm: { ...lab.swarm, workers: [...lab.swarm.workers, ...added] } }, added };
}
