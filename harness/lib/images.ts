import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    // a context of just the bundle and the Dockerfile, laid out as in the repository
    const ctx = await mkdtemp(join(tmpdir(), `swarmguard-${c}-`));
    try {
      await cp(`dist/${c}`, join(ctx, 'dist', c), { recursive: true });
      await cp(`system/${c}/Dockerfile`, join(ctx, 'Dockerfile'));
      await $({ quiet: true })`${DOCKER} -H ${host} build -q ${baseArgs} -t ${ref} ${ctx}`;
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    await $({ quiet: true })`${DOCKER} -H ${host} push ${ref}`;
    refs.push(ref);
  }
  return refs;
}
