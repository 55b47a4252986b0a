import { describe, expect, it } from 'vitest';
import { parseLab } from '../config/lab-config.ts';
import { baseImageArg } from './images.ts';
import { baseImageRef } from '../../lab/base-image.ts';

const remote = (extra = '') =>
  parseLab(`kind: remote
swarm: { manager: { name: m, address: 10.0.0.1 }, workers: [{ name: w, address: 10.0.0.2 }] }
entrypoint: http://10.0.0.1:8080
manager_api: http://10.0.0.1:5000
registry: registry.lab:5000
influxdb: { url: "http://10.0.0.9:8086", org: o, bucket: b, token_env: T }
${extra}`);

describe('baseImageArg', () => {
  it('is build.base_image for a remote lab, else the Dockerfiles’ own default', () => {
    expect(baseImageArg(remote('build: { base_image: "mirror.lab:5000/library/node:20-alpine" }'))).toBe('mirror.lab:5000/library/node:20-alpine');
    expect(baseImageArg(remote())).toBeUndefined();
  });

  it('is the lab’s own base image for the local lab', () => {
    const local = parseLab(`kind: local
network: { bridge: sgbr0, host_address: 10.210.0.1 }
swarm: { manager: { name: manager, address: 10.210.0.11 }, workers: [{ name: worker-1, address: 10.210.0.12 }] }
entrypoint: http://10.210.0.1:8080
manager_api: http://10.210.0.11:5000
registry: 10.210.0.1:5000
influxdb: { url: "http://10.210.0.1:8428", org: o, bucket: b, token_env: T }`);
    expect(baseImageArg(local)).toBe(baseImageRef('10.210.0.1:5000'));
  });
});
