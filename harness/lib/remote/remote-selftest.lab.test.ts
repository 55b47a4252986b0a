// The remote path against the local lab's own nodes (lab.remote-selftest.yaml): a good configuration
// passes the preflight with each node's transport; each bad one fails before anything is done,
// within a bound, naming the host and what failed. Prints the table of bad configurations.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLab, parseLab, type LabConfig, type LabNode } from '../config/lab-config.ts';
import { measureClockOffsets } from '../cluster/lab-clocks.ts';
import { checkRemoteLab, RemoteLabError } from './preflight.ts';
import type { FailureKind } from './remote-host-error.ts';

const local = await loadLab('lab.yaml');
const SELFTEST = 'lab.remote-selftest.yaml';
const good = parseLab(readFileSync(SELFTEST, 'utf8'), SELFTEST);
const dir = mkdtempSync(join(tmpdir(), 'sg-remote-selftest-'));
const BOUND_MS = 5000;

/** The self-test lab with one worker changed. */
function withWorker(name: string, change: (n: LabNode) => LabNode): LabConfig {
  const lab = structuredClone(good);
  lab.swarm.workers = lab.swarm.workers.map((w) => (w.name === name ? change(w) : w));
  return lab;
}

function otherKey(): string {
  const key = join(dir, 'stranger');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  return key;
}

function otherCa(): { ca: string; cert: string; key: string } {
  const ca = join(dir, 'other-ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'other-ca-key.pem'), '-subj', '/CN=other', '-days', '1', '-out', ca], { stdio: 'ignore' });
  return { ...good.swarm.workers[1].tls!, ca };
}

function knownHostsWith(line: string): string {
  const file = join(dir, `known_hosts-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, line);
  return file;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(local.kind === 'local')('the remote path on the local lab (lab.remote-selftest.yaml)', () => {
  it('passes the preflight over ssh:// and tcp:// with TLS, and each node\'s SSH for faults', async () => {
    const checks = await checkRemoteLab(good, { nodeLogins: true, timeoutMs: BOUND_MS });
    for (const c of checks) console.log(`preflight: ${c.detail}`);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.map((c) => c.detail).join('\n')).toMatch(/worker-2 \(tcp:\/\/10\.210\.0\.13:2376\): Docker /);
  });

  it('measures every node\'s clock offset over one SSH channel per host, within 2 ms', async () => {
    const offsets = await measureClockOffsets(good);
    for (const o of offsets) console.log(`clock: ${o.node} ${o.offsetMs.toFixed(2)} ms ± ${o.uncertaintyMs.toFixed(2)} ms (RTT ${o.rttMs.toFixed(2)} ms, ${o.samples} samples)`);
    expect(offsets.map((o) => o.node)).toEqual(['manager', 'worker-1', 'worker-2', 'worker-3']);
    for (const o of offsets) expect(o.uncertaintyMs).toBeLessThanOrEqual(2);
  });

  const stranger = otherKey();
  const cases: Array<{ what: string; lab: () => LabConfig; host: string; kind: FailureKind; says: RegExp }> = [
    {
      what: 'a node address where nothing answers',
      lab: () => withWorker('worker-1', (w) => ({ ...w, address: '10.210.0.99', docker: 'ssh://root@10.210.0.99' })),
      host: 'worker-1', kind: 'unreachable', says: /^worker-1 .*10\.210\.0\.99/,
    },
    {
      what: 'a closed port',
      lab: () => withWorker('worker-1', (w) => ({ ...w, docker: 'ssh://root@10.210.0.12:2222' })),
      host: 'worker-1', kind: 'unreachable', says: /ECONNREFUSED/,
    },
    {
      what: 'a DNS name that does not resolve',
      lab: () => withWorker('worker-1', (w) => ({ ...w, address: 'no-such-node.invalid', docker: 'ssh://root@no-such-node.invalid' })),
      host: 'worker-1', kind: 'unreachable', says: /ENOTFOUND|EAI_AGAIN/,
    },
    {
      what: 'a key the node does not accept',
      lab: () => withWorker('worker-1', (w) => ({ ...w, ssh: { ...w.ssh!, key: stranger } })),
      host: 'worker-1', kind: 'auth', says: /SSH login refused/,
    },
    {
      what: 'a missing key file',
      lab: () => withWorker('worker-1', (w) => ({ ...w, ssh: { ...w.ssh!, key: join(dir, 'no-such-key') } })),
      host: 'worker-1', kind: 'key', says: /no-such-key/,
    },
    {
      what: 'a changed host key (known_hosts holds another key for the address)',
      lab: () => withWorker('worker-1', (w) => ({ ...w, ssh: { ...w.ssh!, known_hosts: knownHostsWith(`10.210.0.12 ${readFileSync(`${stranger}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`) } })),
      host: 'worker-1', kind: 'host-key', says: /host key refused/,
    },
    {
      what: 'a host missing from known_hosts, without trust_on_first_use',
      lab: () => withWorker('worker-1', (w) => ({ ...w, ssh: { ...w.ssh!, known_hosts: knownHostsWith('') } })),
      host: 'worker-1', kind: 'host-key', says: /host key refused/,
    },
    {
      what: 'TLS with a CA that did not sign the daemon\'s certificate',
      lab: () => withWorker('worker-2', (w) => ({ ...w, tls: otherCa() })),
      host: 'worker-2', kind: 'tls', says: /TLS handshake failed/,
    },
    {
      what: 'plain HTTP to the TLS port (no tls: given)',
      lab: () => withWorker('worker-2', ({ tls: _tls, ...w }) => w),
      host: 'worker-2', kind: 'docker', says: /expects TLS/,
    },
    {
      what: 'a missing TLS file',
      lab: () => withWorker('worker-2', (w) => ({ ...w, tls: { ...w.tls!, cert: join(dir, 'no-cert.pem') } })),
      host: 'worker-2', kind: 'config', says: /no-cert\.pem/,
    },
  ];

  const table: string[] = ['| bad configuration | host | kind | error | time |', '| --- | --- | --- | --- | --- |'];
  afterAll(() => console.log(`bad remote configurations:\n${table.join('\n')}`));

  for (const c of cases) {
    it(`refuses ${c.what}, naming ${c.host}, within ${BOUND_MS} ms`, async () => {
      const started = performance.now();
      const err = await checkRemoteLab(c.lab(), { nodeLogins: true, timeoutMs: BOUND_MS, loadGenerators: false }).catch((e: unknown) => e);
      const ms = performance.now() - started;
      expect(err).toBeInstanceOf(RemoteLabError);
      const bad = (err as RemoteLabError).checks.filter((x) => !x.ok);
      const mine = bad.find((x) => x.host === c.host);
      table.push(`| ${c.what} | ${c.host} | ${mine?.kind ?? '—'} | ${(mine?.detail ?? '').replace(/\|/g, '\\|')} | ${(ms / 1000).toFixed(1)} s |`);
      expect(mine?.kind).toBe(c.kind);
      expect(mine?.detail).toMatch(c.says);
      expect(bad.every((x) => x.host === c.host)).toBe(true);
      expect(ms).toBeLessThan(BOUND_MS + 3000);
    }, BOUND_MS + 10_000);
  }
});
