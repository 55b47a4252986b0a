import { networkInterfaces } from 'node:os';
import { $ } from 'zx';
import { netnsName, vethName } from './lab-paths.ts';

export interface NetHost {
  name: string;
  address: string;
}

async function ok(cmd: Promise<unknown>): Promise<boolean> {
  try {
    await cmd;
    return true;
  } catch {
    return false;
  }
}

const nothrow = $({ nothrow: true, quiet: true });

export async function listNetns(): Promise<string[]> {
  const out = await nothrow`ip netns list`;
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/** The bridge on the host, with the host's address on it. Idempotent. */
export async function ensureBridge(bridge: string, hostAddress: string): Promise<void> {
  if (!(await ok($({ quiet: true })`ip link show ${bridge}`))) await $`ip link add ${bridge} type bridge`;
  const addrs = (await $({ quiet: true })`ip -4 -o addr show dev ${bridge}`).stdout;
  if (!addrs.includes(`${hostAddress}/`)) await $`ip addr add ${hostAddress}/24 dev ${bridge}`;
  await $`ip link set ${bridge} up`;
  // dockerd may set FORWARD's policy to DROP; traffic between lab hosts must pass
  if (!(await ok($({ quiet: true })`iptables -C FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`))) {
    await $`iptables -I FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`;
  }
}

/** A namespace for one lab host with a veth into the bridge. Idempotent; repairs half-made ones. */
export async function ensureHostNetns(bridge: string, gateway: string, host: NetHost): Promise<void> {
  const ns = netnsName(host.name);
  const veth = vethName(host.name);
  if (!(await listNetns()).includes(ns)) await $`ip netns add ${ns}`;
  const inNs = await ok($({ quiet: true })`ip -n ${ns} link show eth0`);
  const onHost = await ok($({ quiet: true })`ip link show ${veth}`);
  if (!inNs || !onHost) {
    if (onHost) await $`ip link del ${veth}`;
    if (inNs) await $`ip -n ${ns} link del eth0`;
    await $`ip link add ${veth} type veth peer name eth0 netns ${ns}`;
  }
  await $`ip link set ${veth} master ${bridge} up`;
  const addrs = (await $({ quiet: true })`ip -n ${ns} -4 -o addr show dev eth0`).stdout;
  if (!addrs.includes(`${host.address}/`)) await $`ip -n ${ns} addr add ${host.address}/24 dev eth0`;
  await $`ip -n ${ns} link set eth0 up`;
  await $`ip -n ${ns} link set lo up`;
  await $`ip -n ${ns} route replace default via ${gateway}`;
}

/** Removes a host's namespace (its veth goes with it). */
export async function removeHostNetns(name: string): Promise<void> {
  const ns = netnsName(name);
  await nothrow`ip link del ${vethName(name)}`;
  if ((await listNetns()).includes(ns)) await $`ip netns del ${ns}`;
}

export async function removeBridge(bridge: string): Promise<void> {
  while (await ok($({ quiet: true })`iptables -C FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`)) {
    await $`iptables -D FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`;
  }
  await nothrow`ip link del ${bridge}`;
}

export async function pidsInNetns(name: string): Promise<number[]> {
  const out = await nothrow`ip netns pids ${netnsName(name)}`;
  return out.stdout
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((p) => p > 0);
}

/**
 * Whether `host` (an address or `localhost`) is one of this host's own: loopback, or an address of
 * one of its interfaces (the bridge's while the lab is up). A lab address that is not routes off the
 * machine, where the lab's traffic must never go.
 */
export function isLocalAddress(host: string, own: readonly string[] = interfaceAddresses()): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || own.includes(h);
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((addrs) => (addrs ?? []).map((a) => a.address));
}
