import { existsSync } from 'node:fs';
import { $ } from 'zx';

/** The Debian packages the local lab runs on, and a file each one installs. */
export const LAB_PACKAGES: Record<string, string> = {
  'docker.io': '/usr/sbin/dockerd',
  'docker-registry': '/usr/bin/docker-registry',
  haproxy: '/usr/sbin/haproxy',
  'openssh-server': '/usr/sbin/sshd',
  'openssh-client': '/usr/bin/ssh-keygen',
  openssl: '/usr/bin/openssl',
  'victoria-metrics': '/usr/bin/victoria-metrics',
  'busybox-static': '/bin/busybox',
  curl: '/usr/bin/curl',
  iproute2: '/usr/sbin/ip',
  iptables: '/usr/sbin/iptables',
  'util-linux': '/usr/bin/nsenter',
};

export class LabHostError extends Error {}

/** The local lab needs Linux and root: say so before anything is made. */
export function requireRootLinux(): void {
  if (process.platform !== 'linux') {
    throw new LabHostError(`the local lab needs Linux (network namespaces, dockerd); this is ${process.platform}. Use a remote lab (kind: remote in lab.yaml).`);
  }
  if (process.getuid?.() !== 0) {
    throw new LabHostError('the local lab needs root (it creates network namespaces, a bridge and runs dockerd); run it as root or with sudo.');
  }
}

/** The packages of `wanted` (package → a file it installs) whose file is absent. */
export function missingOf(wanted: Readonly<Record<string, string>>): string[] {
  return Object.entries(wanted)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
}

export function missingPackages(): string[] {
  return missingOf(LAB_PACKAGES);
}

/**
 * Installs whatever of `wanted` is missing with apt-get (so needs root and a Debian host); never
 * starts their system services. Returns what it installed; throws naming what is still missing.
 */
export async function ensureDebianPackages(wanted: Readonly<Record<string, string>>): Promise<string[]> {
  const missing = missingOf(wanted);
  if (missing.length === 0) return [];
  // policy-rc.d 101 keeps Debian from starting dockerd, haproxy, sshd… as system services
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) await $`printf '#!/bin/sh\nexit 101\n' > ${policy} && chmod +x ${policy}`;
  try {
    await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get update -qq`;
    await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y -qq --no-install-recommends ${missing}`;
  } finally {
    if (!hadPolicy) await $`rm -f ${policy}`;
  }
  const still = missingOf(wanted);
  if (still.length > 0) throw new LabHostError(`packages still missing after apt-get install: ${still.map((p) => `${p} (no ${wanted[p]})`).join(', ')}`);
  return missing;
}

/** Installs whatever of LAB_PACKAGES is missing; never starts their system services. */
export function ensurePackages(): Promise<string[]> {
  return ensureDebianPackages(LAB_PACKAGES);
}
