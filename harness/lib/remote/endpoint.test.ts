import { describe, expect, it } from 'vitest';
import { parseLab } from '../config/lab-config.ts';
import { generatorTarget, nodeEndpoint, parseEndpoint } from './endpoint.ts';

const lab = parseLab(`
kind: remote
swarm:
  manager: { name: master, address: master.lab.example, ssh: { user: admin, port: 2200, key: ~/.ssh/lab, passphrase_env: LAB_KEY_PASS, known_hosts: ~/lab_known_hosts, jump: { host: bastion.lab.example, user: jumper } } }
  workers:
    - { name: worker-1, address: 10.0.0.2, docker: "tcp://10.0.0.2", tls: { ca: ca.pem, cert: cert.pem, key: key.pem } }
    - { name: worker-2, address: 10.0.0.3, docker: "ssh://ops@[fd00::3]:2222", ssh: { trust_on_first_use: true } }
    - { name: worker-3, address: 10.0.0.4, docker: "tcp://10.0.0.4:2375" }
load_generators:
  - { name: alpine-1, address: 10.0.0.21, ssh: { key: ~/.ssh/gen, known_hosts: /etc/ssh/ssh_known_hosts } }
entrypoint: http://10.0.0.1:8080
manager_api: http://10.0.0.1:5000
registry: registry.lab.example:5000
influxdb: { url: "http://10.0.0.9:8086", org: o, bucket: b, token_env: INFLUX_TOKEN }
build: { base_image: "mirror.lab.example/library/node:20-alpine" }
`);
const [w1, w2, w3] = lab.swarm.workers;

describe('nodeEndpoint', () => {
  it('derives ssh://user@address for a remote node without docker:, with its ssh port, key, known_hosts and jump host', () => {
    expect(nodeEndpoint(lab, lab.swarm.manager)).toEqual({
      kind: 'ssh',
      node: 'master',
      url: 'ssh://admin@master.lab.example',
      target: {
        name: 'master',
        host: 'master.lab.example',
        port: 2200,
        user: 'admin',
        key: '~/.ssh/lab',
        passphraseEnv: 'LAB_KEY_PASS',
        knownHosts: '~/lab_known_hosts',
        jump: { host: 'bastion.lab.example', port: 22, user: 'jumper' },
      },
    });
  });

  it('takes user and port from an ssh:// URL and strips an IPv6 literal’s brackets', () => {
    const e = nodeEndpoint(lab, w2);
    expect(e.kind === 'ssh' && e.target).toEqual({ name: 'worker-2', host: 'fd00::3', port: 2222, user: 'ops', trustOnFirstUse: true });
  });

  it('gives tcp:// with tls Docker’s TLS port 2376 by default, and plain tcp:// 2375', () => {
    expect(nodeEndpoint(lab, w1)).toEqual({ kind: 'tcp', node: 'worker-1', url: 'tcp://10.0.0.2', host: '10.0.0.2', port: 2376, tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } });
    expect(nodeEndpoint(lab, w3)).toEqual({ kind: 'tcp', node: 'worker-3', url: 'tcp://10.0.0.4:2375', host: '10.0.0.4', port: 2375 });
  });

  it('keeps build.base_image and DNS names', () => {
    expect(lab.build?.base_image).toBe('mirror.lab.example/library/node:20-alpine');
    expect(lab.swarm.manager.address).toBe('master.lab.example');
  });
});

describe('parseEndpoint', () => {
  const node = { name: 'worker-9', address: '10.0.0.9' };
  it('reads unix sockets', () => {
    expect(parseEndpoint(node, 'unix:///var/run/docker.sock')).toEqual({ kind: 'unix', node: 'worker-9', url: 'unix:///var/run/docker.sock', path: '/var/run/docker.sock' });
  });

  it('names the node and the endpoint when it cannot be used', () => {
    expect(() => parseEndpoint(node, 'ssh//x')).toThrow('worker-9: Docker endpoint "ssh//x" is not a URL');
    expect(() => parseEndpoint(node, 'http://10.0.0.9:2375')).toThrow('worker-9: unsupported Docker endpoint http://10.0.0.9:2375');
    expect(() => parseEndpoint({ ...node, tls: { ca: 'a', cert: 'b', key: 'c' } }, 'ssh://root@10.0.0.9')).toThrow('worker-9: tls is set, but its Docker endpoint ssh://root@10.0.0.9 is not tcp://');
  });
});

describe('generatorTarget', () => {
  it('is the generator’s ssh login', () => {
    expect(generatorTarget(lab.load_generators[0])).toEqual({ name: 'alpine-1', host: '10.0.0.21', port: 22, user: 'root', key: '~/.ssh/gen', knownHosts: '/etc/ssh/ssh_known_hosts' });
  });
});

describe('lab.yaml addresses', () => {
  it('accepts IPv4 and DNS names, and refuses what is neither', () => {
    const text = (address: string) => `kind: remote
swarm: { manager: { name: m, address: "${address}" }, workers: [{ name: w, address: 10.0.0.2 }] }
entrypoint: http://10.0.0.1:8080
manager_api: http://10.0.0.1:5000
registry: r:5000
influxdb: { url: "http://10.0.0.9:8086", org: o, bucket: b, token_env: T }`;
    expect(parseLab(text('node-1')).swarm.manager.address).toBe('node-1');
    expect(() => parseLab(text('10.0.0'))).toThrow(/address/);
    expect(() => parseLab(text('bad_name!'))).toThrow(/IPv4 address .* or a DNS host name/);
  });
});
