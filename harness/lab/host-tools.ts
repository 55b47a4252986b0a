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

export function missingPackages(): string[] {
  return Object.entries(LAB_PACKAGES)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
}

/** Installs whatever of LAB_PACKAGES is missing; never starts their system services. */
export async function ensurePackages(): Promise<string[]> {
  const missing = missingPackages();
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
  const still = missingPackages();
  if (still.length > 0) throw new LabHostError(`packages still missing after apt-get install: ${still.join(', ')}`);
  return missing;
}
