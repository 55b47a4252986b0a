import { mkdir, rm, copyFile, symlink, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';
import { $ } from 'zx';
import type { LabPaths } from './lab-paths.ts';

const DOCKER = '/usr/bin/docker';

/** The base image's tag names the node it carries, so a new node makes a new image. */
export function baseImageRef(registry: string): string {
  return `${registry}/swarmguard/base:node-${process.version}`;
}

/**
 * A fixed name for the same image, for files that cannot know this host's node version: the
 * remote self-test's build.base_image.
 */
export function baseImageAlias(registry: string): string {
  return `${registry}/swarmguard/base:lab`;
}

export async function registryHas(registry: string, ref: string): Promise<boolean> {
  const [repo, tag] = ref.slice(registry.length + 1).split(':');
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    signal: AbortSignal.timeout(5000),
  });
  return res.ok;
}

/** Shared libraries node links against (from ldd), with the dynamic loader. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const out = (await $({ quiet: true })`ldd ${binary}`).stdout;
  return [...out.matchAll(/(\/[^\s]+)\s+\(0x/g)].map((m) => m[1]);
}

/**
 * No image registry is reachable here, so the base image is made from this host's own node,
 * its libraries and a static busybox (for /bin/sh, wget and the healthchecks that need them).
 */
export async function buildBaseImage(paths: LabPaths, managerSocket: string, registry: string): Promise<{ ref: string; built: boolean }> {
  const ref = baseImageRef(registry);
  const host = `unix://${managerSocket}`;
  if (await registryHas(registry, ref)) {
    if (!(await registryHas(registry, baseImageAlias(registry)))) await pushAlias(host, ref, baseImageAlias(registry));
    return { ref, built: false };
  }

  const root = paths.baseImage.rootfs;
  await rm(root, { recursive: true, force: true });
  for (const d of ['usr/bin', 'bin', 'etc', 'tmp', 'app', 'root']) await mkdir(join(root, d), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  const node = realpathSync(process.execPath);
  await copyFile(node, join(root, 'usr/bin/node'));
  for (const lib of await sharedLibraries(node)) {
    await mkdir(join(root, dirname(lib)), { recursive: true });
    await copyFile(realpathSync(lib), join(root, lib));
  }
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const applets = (await $({ quiet: true })`/bin/busybox --list`).stdout.split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') await symlink('busybox', join(root, 'bin', a)).catch(() => undefined);
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');

  await $({ quiet: true })`tar -C ${root} -c . | ${DOCKER} -H ${host} import --change ${'ENV PATH=/usr/local/bin:/usr/bin:/bin'} --change ${'WORKDIR /app'} --change ${'CMD ["node"]'} - ${ref}`;
  await $({ quiet: true })`${DOCKER} -H ${host} push ${ref}`;
  await pushAlias(host, ref, baseImageAlias(registry));
  await rm(root, { recursive: true, force: true });
  return { ref, built: true };
}

async function pushAlias(host: string, ref: string, alias: string): Promise<void> {
  await $({ quiet: true })`${DOCKER} -H ${host} pull -q ${ref}`;
  await $({ quiet: true })`${DOCKER} -H ${host} tag ${ref} ${alias}`;
  await $({ quiet: true })`${DOCKER} -H ${host} push -q ${alias}`;
}
