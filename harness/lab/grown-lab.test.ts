import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseLab } from '../lib/config/lab-config.ts';
import { grownLab } from './grown-lab.ts';

const lab = parseLab(readFileSync('lab.yaml', 'utf8'));

describe('grownLab', () => {
  it('adds workers up to the node count, at free addresses above the highest in use, with names the lab does not use', () => {
    const { lab: grown, added } = grownLab(lab, 10);
    expect(added).toHaveLength(10 - 1 - lab.swarm.workers.length);
    expect(grown.swarm.workers.slice(0, lab.swarm.workers.length)).toEqual(lab.swarm.workers);
    const all = [grown.swarm.manager, ...grown.swarm.workers, ...grown.load_generators];
    expect(new Set(all.map((h) => h.address)).size).toBe(all.length);
    expect(new Set(all.map((h) => h.name)).size).toBe(all.length);
    const highest = Math.max(...[lab.swarm.manager, ...lab.swarm.workers, ...lab.load_generators].map((h) => Number(h.address.split('.')[3])));
    for (const h of added) {
      expect(h.address.startsWith('10.210.0.')).toBe(true);
      expect(Number(h.address.split('.')[3])).toBeGreaterThan(highest);
    }
    expect(added[0]!.name).toBe('scale-1');
  });

  it('skips a name the lab already uses', () => {
    const taken = { ...lab, swarm: { ...lab.swarm, workers: [...lab.swarm.workers, { name: 'scale-1', address: '10.210.0.40' }] } };
    const { added } = grownLab(taken, 7);
    expect(added.map((h) => h.name)).toEqual(['scale-2', 'scale-3']);
    expect(added.map((h) => h.address)).toEqual(['10.210.0.41', '10.210.0.42']);
  });

  it('refuses a count the lab already has, and a /24 without room', () => {
    expect(() => grownLab(lab, 4)).toThrow(/has 4 already/);
    const high = { ...lab, load_generators: [{ ...lab.load_generators[0]!, address: '10.210.0.253' }] };
    expect(() => grownLab(high, 8)).toThrow(/only 1 free addresses/);
  });

  it('refuses a remote lab', () => {
    expect(() => grownLab({ ...lab, kind: 'remote' }, 10)).toThrow(/only the local lab/);
  });
});
