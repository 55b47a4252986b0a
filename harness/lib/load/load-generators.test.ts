import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabPaths } from '../../lab/lab-paths.ts';
import { parseLab, type LabConfig } from '../config/lab-config.ts';
import { generatorLogin, LoadGenerators, parsePollOutput, splitRates } from './load-generators.ts';
import { runWithLocalShell, startFakeSshServer, type FakeSshServer, testKeyPair } from '../remote/fake-ssh-server.ts';
import { RemoteHostError } from '../remote/remote-host-error.ts';

describe('splitRates', () => {
  it('gives the generators shares that add up to the total every second', () => {
    const total = [0, 1, 5, 7, 18];
    const parts = [0, 1, 2].map((i) => splitRates(total, i, 3));
    expect(parts).toEqual([[0, 1, 2, 3, 6], [0, 0, 2, 2, 6], [0, 0, 1, 2, 6]]);
    expect(total.map((_, s) => parts.reduce((n, p) => n + p[s], 0))).toEqual(total);
  });
});

describe('parsePollOutput', () => {
  it('keeps complete lines, leaves a partial last line for the next poll, and reads the running flag', () => {
    const out = ['@@ data 60 1', '1763840000123 200 5', '1763840000200 200 7', '17638400', '@@ pi 0 0', '', '@@ x 20 1', '1763840000300 200 9', '', ''].join('\n');
    expect(parsePollOutput(out)).toEqual([
      { stream: 'data', running: true, lines: '1763840000123 200 5\n1763840000200 200 7\n' },
      { stream: 'pi', running: false, lines: '' },
      { stream: 'x', running: true, lines: '1763840000300 200 9\n' },
    ]);
  });

  it('adds nothing when nothing new was logged (only the closing newline)', () => {
    expect(parsePollOutput('@@ data 40 1\n\n')).toEqual([{ stream: 'data', running: true, lines: '' }]);
    expect(parsePollOutput('')).toEqual([]);
  });
});

// The generator is an SSH server on 127.0.0.1 that runs each command with this machine's sh, so
// the scripts LoadGenerators uploads and starts really run (in /tmp, for seconds at most).
const dir = mkdtempSync(join(tmpdir(), 'load-generators-test-'));
const state = join(dir, 'state');
const lab = new LabPaths(state).ssh;
const user = testKeyPair();
const other = testKeyPair();
let server: FakeSshServer;

beforeAll(async () => {
  server = await startFakeSshServer({ authorized: [user.public], exec: runWithLocalShell });
  // where the local lab keeps its client key and known_hosts: the defaults of a generator without ssh.key/known_hosts
  mkdirSync(lab.dir, { recursive: true });
  writeFileSync(lab.clientKey, user.private);
  writeFileSync(lab.knownHosts, `[127.0.0.1]:${server.port} ${server.hostKey}\n`);
  writeFileSync(join(dir, 'known_hosts_other'), `[127.0.0.1]:${server.port} ${other.public.split(' ').slice(0, 2).join(' ')}\n`);
});

afterAll(() => server.close());

function localLab(generatorSsh = ''): LabConfig {
  return parseLab(`kind: local
state_dir: ${state}
network: { bridge: sgtest0, host_address: 10.250.0.1 }
swarm:
  manager: { name: manager, address: 10.250.0.11 }
  workers: [{ name: worker-1, address: 10.250.0.12 }]
load_generators:
  - { name: alpine-1, address: 127.0.0.1, ssh: { port: ${server.port}${generatorSsh} } }
entrypoint: http://10.250.0.1:8080
manager_api: http://10.250.0.11:5000
registry: 10.250.0.1:5000
influxdb: { url: "http://10.250.0.1:8428", org: o, bucket: b, token_env: T }`);
}

/** Whether a process runs (a zombie nobody reaped does not: in a container pid 1 may not reap). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

const connect = (l: LabConfig, commandTimeoutMs?: number) =>
  LoadGenerators.connect(l, { runId: `unit-${process.pid}-${Date.now().toString(36)}`, stopOnSignal: false, ssh: { env: {} }, ...(commandTimeoutMs ? { commandTimeoutMs } : {}) });

describe('generatorLogin', () => {
  it("gives a local lab's generator the lab's key and known_hosts unless lab.yaml names its own", () => {
    expect(generatorLogin(localLab(), localLab().load_generators[0])).toMatchObject({ name: 'alpine-1', host: '127.0.0.1', user: 'root', key: lab.clientKey, knownHosts: lab.knownHosts });
    const own = localLab(`, key: /k, known_hosts: /kh`);
    expect(generatorLogin(own, own.load_generators[0])).toMatchObject({ key: '/k', knownHosts: '/kh' });
  });
});

describe('LoadGenerators over SSH', () => {
  it('runs a command and returns its stdout untrimmed; a non-zero exit is an error naming the generator', async () => {
    await using gens = await connect(localLab());
    expect(gens.generators).toEqual(['alpine-1']);
    expect(await gens.run('alpine-1', 'echo one; echo two')).toBe('one\ntwo\n');
    await expect(gens.run('alpine-1', 'echo broken >&2; exit 3')).rejects.toThrow('alpine-1: `echo broken >&2; exit 3` exited 3: broken');
  });

  it('uploads a script (over stdin), starts it, reads its log, and on stop kills it and removes its folder', async () => {
    const gens = await connect(localLab());
    const folder = gens.runDir('alpine-1');
    await gens.start([
      {
        name: 'tick',
        maxDurationS: 20,
        // a child like a load script's curl: stop() must end it with the script
        render: (f) => `sleep 20 &\necho $! > ${f.pidFile}.child\necho "started $1" >> ${f.logFile}\necho $$ > ${f.pidFile}\nwait\nrm -f ${f.pidFile}\n`,
      },
    ]);
    const [log] = await gens.poll();
    expect(log).toMatchObject({ generator: 'alpine-1', stream: 'tick', running: true });
    expect(log.text).toBe('started \n');
    const pids = (await gens.run('alpine-1', `cat ${folder}/tick.pid ${folder}/tick.pid.child`)).trim().split('\n').map(Number);
    expect(pids.map(alive)).toEqual([true, true]);
    await gens.stop();
    expect(pids.map(alive)).toEqual([false, false]);
    expect(existsSync(folder)).toBe(false);
    expect(gens.running).toBe(false);
    await expect(gens.run('alpine-1', 'true')).rejects.toThrow(/already stopped/);
    await expect(gens.lineChannel('alpine-1', 'cat')).rejects.toThrow('alpine-1: not connected');
  });

  it('answers line by line over one channel', async () => {
    await using gens = await connect(localLab());
    const ch = await gens.lineChannel('alpine-1', `sh -c 'while read x; do echo "got $x"; done'`);
    expect([await ch.request('a'), await ch.request('b')]).toEqual(['got a', 'got b']);
    ch.close();
  });

  it('refuses a generator whose host key is not in its known_hosts, naming it and its login', async () => {
    const refused = async (knownHosts: string) => {
      const err = await connect(localLab(`, known_hosts: ${knownHosts}`)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteHostError);
      expect((err as RemoteHostError).kind).toBe('host-key');
      return (err as Error).message;
    };
    const login = `alpine-1 (root@127.0.0.1:${server.port}): host key refused: 127.0.0.1:${server.port}: `;
    writeFileSync(join(dir, 'known_hosts_empty'), '');
    expect(await refused(join(dir, 'known_hosts_empty'))).toContain(`${login}host not in ${join(dir, 'known_hosts_empty')}`);
    expect(await refused(join(dir, 'known_hosts_other'))).toContain(`${login}HOST KEY MISMATCH`);
  });

  it('bounds each command: a hung one fails naming the generator and the command', async () => {
    await using gens = await connect(localLab(), 300);
    const started = Date.now();
    await expect(gens.run('alpine-1', 'sleep 5')).rejects.toThrow('alpine-1: no answer in time: `sleep 5` did not finish within 300 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
