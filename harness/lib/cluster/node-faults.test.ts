import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLab } from '../config/lab-config.ts';
import { canFailTsdb, faultCommand } from './node-faults.ts';
import { nodeTransports } from '../report/journal.ts';

const selftest = parseLab(readFileSync('lab.remote-selftest.yaml', 'utf8'), 'lab.remote-selftest.yaml');

describe('faultCommand', () => {
  it('puts the node name in, and goes through sudo -n only where the login asks for it', () => {
    const node = { name: 'worker-1', address: '10.0.0.2' };
    expect(faultCommand('systemctl stop docker', node)).toBe('systemctl stop docker');
    expect(faultCommand('/x/nodes/{node}/ctl stop {node}', node)).toBe('/x/nodes/worker-1/ctl stop worker-1');
    expect(faultCommand("pkill -f 'dockerd --x'", { ...node, ssh: { user: 'ops', port: 22, sudo: true } })).toBe(`sudo -n sh -c 'pkill -f '\\''dockerd --x'\\'''`);
  });

  it('defaults to the PRD\'s systemctl commands on a remote lab that names none', () => {
    const text = readFileSync('lab.example.remote.yaml', 'utf8');
    const lab = parseLab(text, 'lab.example.remote.yaml');
    expect(lab.faults).toEqual({ stop_docker: 'systemctl stop docker', start_docker: 'systemctl start docker', timeout_s: 90 });
  });
});

describe('canFailTsdb', () => {
  it('holds for the local lab and a remote one that names its store\'s host, not for one that does not', () => {
    expect(canFailTsdb(parseLab(readFileSync('lab.yaml', 'utf8')))).toBe(true);
    expect(canFailTsdb(selftest)).toBe(true);
    expect(selftest.faults.tsdb?.name).toBe('alpine-1');
    expect(canFailTsdb(parseLab(readFileSync('lab.example.remote.yaml', 'utf8')))).toBe(false);
  });

  it('rejects a concurrent_apps list that is not three copies, saying why', () => {
    const text = readFileSync('lab.yaml', 'utf8').replace('  hold_s: 30', '  hold_s: 30\n  concurrent_apps: [{ name: a, port: 9001 }]');
    expect(() => parseLab(text)).toThrow(/concurrent_apps.*exactly three copies/s);
  });
});

describe('nodeTransports', () => {
  it('says how each host of the self-test lab is reached', () => {
    expect(nodeTransports(selftest)).toEqual({
      manager: 'ssh root@10.210.0.11:22',
      'worker-1': 'ssh root@10.210.0.12:22',
      'worker-2': 'tcp+tls 10.210.0.13:2376',
      'worker-3': 'tcp+tls 10.210.0.14:2376',
      'alpine-1': 'ssh root@10.210.0.21:22 (load generator)',
      'alpine-2': 'ssh root@10.210.0.22:22 (load generator)',
    });
  });
});
