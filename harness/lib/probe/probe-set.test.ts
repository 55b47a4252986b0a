import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLab, type LabConfig } from '../config/lab-config.ts';
import { ProbeSet } from './probe-set.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A stand-in entrypoint on loopback that records the paths asked for and names itself like web-stress. */
async function entrypoint(paths: string[]): Promise<string> {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(req.url === '/health' ? 503 : 200, { 'x-served-by': 'c0ffee', 'x-node': 'worker-1' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('ProbeSet', () => {
  it('probes experiments.probe_path by default, not the health path that fails during a drain', async () => {
    const paths: string[] = [];
    const shipped = parseLab(await readFile('lab.yaml', 'utf8'));
    const lab: LabConfig = {
      ...shipped,
      entrypoint: await entrypoint(paths),
      experiments: { ...shipped.experiments, probe_from: ['control'], probe_from_by_experiment: undefined, probe_interval_ms: 50 },
    };
    expect(lab.experiments.probe_path).toBe('/ping');
    const probes = await ProbeSet.start(lab, { durationMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [control] = await probes.stop();
    expect(paths.length).toBeGreaterThan(1);
    expect(new Set(paths)).toEqual(new Set(['/ping']));
    expect(control.samples.every((s) => s.ok && s.servedBy === 'c0ffee')).toBe(true);
  });
});
