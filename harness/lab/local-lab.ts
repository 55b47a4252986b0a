import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LabConfig } from '../lib/config/lab-config.ts';
import { stateDir, swarmNodes } from '../lib/config/lab-config.ts';
import { LabPaths, netnsName } from './lab-paths.ts';
import { Progress } from './progress.ts';
import { ensurePackages, requireRootLinux } from './host-tools.ts';
import { ensureBridge, ensureHostNetns, isLocalAddress, listNetns, removeBridge, removeHostNetns } from './lab-network.ts';
import { dockerFor, pingDocker, repairLeakedPorts, startDockerd, stopDockerd, nodeLeftoverPids } from './node-daemons.ts';
import { formSwarm } from './swarm-setup.ts';
import {
  ensureHaproxy, ensureRegistry, ensureSink, ensureSshKeys, ensureSshd, ensureVictoriaMetrics, stopService, tcpOpen,
} from './lab-services.ts';
import { buildBaseImage } from './base-image.ts';
import { ensureLabTls } from './node-tls.ts';
import { isAlive, readPid } from './processes.ts';

/** What `up` made, kept beside the state so `down` from any clone removes exactly that. */
interface LabRecord {
  name: string;
  bridge: string;
  hosts: string[];
  services: string[];
}

export interface LabUpResult {
  seconds: number;
  installed: string[];
  baseImage: string;
}

export class LocalLab {
  readonly paths: LabPaths;

  constructor(readonly lab: LabConfig) {
    if (lab.kind !== 'local' || !lab.network) throw new Error(`lab ${lab.name} is kind ${lab.kind}: only a local lab can be brought up or down here`);
    this.paths = new LabPaths(stateDir(lab));
  }

  private get net() {
    return this.lab.network!;
  }

  private get recordFile() {
    return join(this.paths.root, 'lab.json');
  }

  /** The processes the lab runs beside the nodes' dockerd, by name (an sshd per node and per load generator). */
  services(): string[] {
    const sshHosts = [...swarmNodes(this.lab), ...this.lab.load_generators];
    return ['registry', 'victoria-metrics', 'haproxy', 'sink', ...sshHosts.map((h) => `sshd-${h.name}`)];
  }

  async up(progress = new Progress('lab up')): Promise<LabUpResult> {
    requireRootLinux();
    const installed = await progress.step('Debian packages', () => ensurePackages());
    await mkdir(this.paths.root, { recursive: true });
    const hosts = [...swarmNodes(this.lab), ...this.lab.load_generators];
    // before the record is rewritten: it is what lets `down` find them if this fails half-way
    await this.removeUnlisted(hosts.map((h) => h.name), progress);
    const record: LabRecord = { name: this.lab.name, bridge: this.net.bridge, hosts: hosts.map((h) => h.name), services: this.services() };
    await writeFile(this.recordFile, `${JSON.stringify(record, null, 2)}\n`);

    await progress.step(`network: bridge ${this.net.bridge} and ${hosts.length} namespaces`, async () => {
      await ensureBridge(this.net.bridge, this.net.host_address);
      for (const h of hosts) await ensureHostNetns(this.net.bridge, this.net.host_address, h);
    });
    await progress.step('registry, VictoriaMetrics, network sink', async () => {
      await ensureRegistry(this.paths, this.lab);
      await ensureVictoriaMetrics(this.paths, this.lab);
      await ensureSink(this.paths, this.lab);
    });
    await progress.step('TLS certificates', () => ensureLabTls(this.paths, swarmNodes(this.lab)));
    await progress.step(`dockerd on ${swarmNodes(this.lab).length} nodes`, () =>
      Promise.all(swarmNodes(this.lab).map((n) => startDockerd(this.paths, n, this.lab.registry))),
    );
    await progress.step('swarm', () => {
      const member = (n: { name: string; address: string }) => ({ ...n, docker: dockerFor(this.paths, n.name) });
      return formSwarm(member(this.lab.swarm.manager), this.lab.swarm.workers.map(member));
    });
    await progress.step('leftover port proxies', async () => {
      for (const n of swarmNodes(this.lab)) {
        const found = await repairLeakedPorts(this.paths, n, this.lab.registry);
        if (found.length) console.log(`[lab up] ${n.name}: docker-proxy left without its container (${found.join(', ')}): dockerd restarted`);
      }
    });
    await progress.step('HAProxy entrypoint', () => ensureHaproxy(this.paths, this.lab));
    await progress.step(`sshd on ${swarmNodes(this.lab).length} nodes and ${this.lab.load_generators.length} load generators`, async () => {
      await ensureSshKeys(this.paths, hosts);
      // a login on a node talks to that node's dockerd, as on a real node (the remote self-test's ssh://)
      for (const n of swarmNodes(this.lab)) await ensureSshd(this.paths, n, { DOCKER_HOST: `unix://${this.paths.node(n.name).socket}` });
      for (const g of this.lab.load_generators) await ensureSshd(this.paths, g);
    });
    const base = await progress.step('base image', () =>
      buildBaseImage(this.paths, this.paths.node(this.lab.swarm.manager.name).socket, this.lab.registry),
    );
    return { seconds: progress.elapsedS, installed, baseImage: base.ref };
  }

  private async record(): Promise<LabRecord> {
    if (existsSync(this.recordFile)) return JSON.parse(await readFile(this.recordFile, 'utf8')) as LabRecord;
    return {
      name: this.lab.name,
      bridge: this.net.bridge,
      hosts: [...swarmNodes(this.lab), ...this.lab.load_generators].map((h) => h.name),
      services: this.services(),
    };
  }

  /**
   * Hosts an earlier `up` made that this configuration no longer lists (the scale experiment's extra
   * workers, or a shortened lab.yaml): each leaves the swarm and is removed from its node list, and
   * its sshd, dockerd and namespace go. Their replicated tasks are rescheduled by swarm.
   */
  private async removeUnlisted(listed: readonly string[], progress: Progress): Promise<string[]> {
    if (!existsSync(this.recordFile)) return [];
    const gone = (await this.record()).hosts.filter((h) => !listed.includes(h));
    if (gone.length === 0) return [];
    await progress.step(`remove ${gone.join(', ')} (no longer in ${this.lab.name}'s configuration)`, async () => {
      const manager = dockerFor(this.paths, this.lab.swarm.manager.name);
      for (const name of gone) {
        const docker = dockerFor(this.paths, name);
        if (await pingDocker(docker)) await docker.swarmLeave({ force: true }).catch(() => undefined);
      }
      if (await pingDocker(manager)) {
        const nodes = (await manager.listNodes().catch(() => [])) as { ID: string; Description: { Hostname: string } }[];
        for (const n of nodes.filter((x) => gone.includes(x.Description.Hostname))) await manager.getNode(n.ID).remove({ force: true });
      }
      for (const name of gone) {
        await stopService(this.paths, `sshd-${name}`);
        if (existsSync(this.paths.node(name).dir)) await stopDockerd(this.paths, name);
        await removeHostNetns(name);
      }
    });
    return gone;
  }

  /** Stops every process the lab started and removes its namespaces, veths, bridge and rules. */
  async down(opts: { purge?: boolean } = {}, progress = new Progress('lab down')): Promise<void> {
    requireRootLinux();
    const rec = await this.record();
    await progress.step('services', async () => {
      for (const s of rec.services) await stopService(this.paths, s);
    });
    const nodes = rec.hosts.filter((h) => existsSync(this.paths.node(h).dir));
    await progress.step(`dockerd on ${nodes.length} nodes`, () => Promise.all(nodes.map((n) => stopDockerd(this.paths, n))));
    await progress.step('namespaces and bridge', async () => {
      const ours = new Set(rec.hosts.map(netnsName));
      for (const ns of await listNetns()) if (ours.has(ns)) await removeHostNetns(ns.slice(3));
      await removeBridge(rec.bridge);
    });
    if (opts.purge) await progress.step(`purge ${this.paths.root}`, () => rm(this.paths.root, { recursive: true, force: true }));
    else await rm(this.recordFile, { force: true });
  }

  async status(): Promise<LabStatus> {
    const manager = this.lab.swarm.manager.name;
    const swarmState = new Map<string, { role: string; state: string }>();
    const md = dockerFor(this.paths, manager);
    if (await pingDocker(md)) {
      try {
        const nodes = (await md.listNodes()) as { Description: { Hostname: string }; Status: { State: string }; Spec: { Role: string } }[];
        for (const n of nodes) swarmState.set(n.Description.Hostname, { role: n.Spec.Role, state: n.Status.State });
      } catch {
        /* not a swarm manager (yet) */
      }
    }
    const nodes = swarmNodes(this.lab).map((n) => {
      const pid = readPid(this.paths.node(n.name).pidFile);
      const s = swarmState.get(n.name);
      return {
        name: n.name,
        role: s?.role ?? (n.name === manager ? 'manager' : 'worker'),
        state: s?.state ?? (isAlive(pid) ? 'not in swarm' : 'down'),
        address: n.address,
        pid: isAlive(pid) ? pid : undefined,
      };
    });
    const services = [];
    for (const name of this.services()) {
      const pid = readPid(this.paths.service(name).pidFile);
      services.push({ name, pid: isAlive(pid) ? pid : undefined, state: isAlive(pid) ? 'running' : 'stopped' });
    }
    const entry = new URL(this.lab.entrypoint);
    // With the bridge gone, its address routes off the machine (seen: through eth0 to a gateway that
    // accepts any connection, so a downed lab looked "listening"): connect only to an address that is
    // this host's own.
    const entrypointUp = isLocalAddress(entry.hostname) && (await tcpOpen(entry.hostname, Number(entry.port || 80)));
    return { nodes, services, entrypointUp, namespaces: (await listNetns()).filter((n) => n.startsWith('sg-')) };
  }

  /** Every trace of the lab still present (for `down`'s own check and the tests). */
  async leftovers(): Promise<string[]> {
    const rec = await this.record();
    const found: string[] = [];
    const ns = new Set(await listNetns());
    for (const h of rec.hosts) {
      if (ns.has(netnsName(h))) found.push(`namespace ${netnsName(h)}`);
      const pids = await nodeLeftoverPids(h);
      if (pids.length) found.push(`${pids.length} processes of ${h}`);
    }
    for (const s of rec.services) if (isAlive(readPid(this.paths.service(s).pidFile))) found.push(`service ${s}`);
    if (existsSync(`/sys/class/net/${rec.bridge}`)) found.push(`bridge ${rec.bridge}`);
    return found;
  }
}

export interface LabStatus {
  nodes: { name: string; role: string; state: string; address: string; pid?: number }[];
  services: { name: string; pid?: number; state: string }[];
  entrypointUp: boolean;
  namespaces: string[];
}
