import { $ } from 'zx';
import { existsSync } from 'node:fs';
import type { LabConfig } from './lab-config.ts';
import { dockerEndpoint, imageRef } from './lab-config.ts';
import { baseImageRef } from '../lab/base-image.ts';

export const SYSTEM_COMPONENTS = ['web-stress', 'agent', 'manager'] as const;
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/**
 * Bundles the components (esbuild) and builds their images on the swarm manager's daemon,
 * FROM the lab's base image (local lab) or the Dockerfile's default public node image, then
 * pushes them to the lab registry so every node can pull them.
 */
export async function buildSystemImages(lab: LabConfig, components: readonly string[] = SYSTEM_COMPONENTS, tag = 'latest'): Promise<string[]> {
  const present = components.filter((c) => existsSync(`system/${c}/Dockerfile`));
  await $({ quiet: true })`node scripts/build.mjs ${present}`;
  const host = dockerEndpoint(lab, lab.swarm.manager);
  const baseArgs = lab.kind === 'local' ? ['--build-arg', `BASE_IMAGE=${baseImageRef(lab.registry)}`] : [];
  const refs: string[] = [];
  for (const c of present) {
    const ref = imageRef(lab, c, tag);
    await $({ quiet: true })`${DOCKER} -H ${host} build -q -f system/${c}/Dockerfile ${baseArgs} -t ${ref} .`;
    await $({ quiet: true })`${DOCKER} -H ${host} push ${ref}`;
    refs.push(ref);
  }
  return refs;
}
