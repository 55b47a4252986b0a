import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { LabConfig } from '../config/lab-config.ts';
import { dockerEndpoint, imageRef } from '../config/lab-config.ts';
import { baseImageRef } from '../../lab/base-image.ts';
import { managerDocker } from './docker-clients.ts';
import { followDockerStream } from '../remote/docker-stream.ts';
import { registryAuth } from '../remote/registry-auth.ts';

export const SYSTEM_COMPONENTS = ['web-stress', 'agent', 'manager'] as const;
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/**
 * The image the Dockerfiles start FROM (their ARG BASE_IMAGE): the local lab's own base image;
 * for a remote lab build.base_image (a mirror's copy, for a lab that cannot reach Docker Hub),
 * else the Dockerfiles' default public node image.
 */
export function baseImageArg(lab: LabConfig): string | undefined {
  return lab.kind === 'local' ? baseImageRef(lab.registry) : lab.build?.base_image;
}

/**
 * Bundles the components (esbuild) and builds their images on the swarm manager's daemon, then
 * pushes them to the lab registry so every node can pull them.
 */
export async function buildSystemImages(lab: LabConfig, components: readonly string[] = SYSTEM_COMPONENTS, tag = 'latest'): Promise<string[]> {
  const present = components.filter((c) => existsSync(`system/${c}/Dockerfile`));
  await $({ quiet: true })`node scripts/build.mjs ${present}`;
  const base = baseImageArg(lab);
  const refs: string[] = [];
  for (const c of present) {
    const ref = imageRef(lab, c, tag);
    // a context of just the bundle and the Dockerfile, laid out as in the repository
    const ctx = await mkdtemp(join(tmpdir(), `swarmguard-${c}-`));
    try {
      await cp(`dist/${c}`, join(ctx, 'dist', c), { recursive: true });
      await cp(`system/${c}/Dockerfile`, join(ctx, 'Dockerfile'));
      if (lab.kind === 'local') await cliBuildAndPush(lab, ctx, ref, base);
      else await apiBuildAndPush(lab, managerDocker(lab), c, ctx, ref, base);
    } finally {
      await rm(ctx, { recursive: true, force: true });
    }
    refs.push(ref);
  }
  return refs;
}

/** The local lab: the docker CLI on the manager's unix socket, as `lab images` has always built. */
async function cliBuildAndPush(lab: LabConfig, ctx: string, ref: string, base: string | undefined): Promise<void> {
  const host = dockerEndpoint(lab, lab.swarm.manager);
  const baseArgs = base ? ['--build-arg', `BASE_IMAGE=${base}`] : [];
  await $({ quiet: true })`${DOCKER} -H ${host} build -q ${baseArgs} -t ${ref} ${ctx}`;
  await $({ quiet: true })`${DOCKER} -H ${host} push ${ref}`;
}

/**
 * A remote lab: build and push through the Docker API on the manager's client, not the docker CLI.
 * The CLI reaches an ssh:// daemon through the system ssh, configured by ~/.ssh/config, not by
 * lab.yaml; generating an ssh_config for it would still leave the key's passphrase (ssh asks on a
 * terminal), trust_on_first_use (ssh's accept-new writes known_hosts) and the TLS files (the CLI
 * wants them as ca.pem/cert.pem/key.pem in one folder) to differ. The API client is the one every
 * other Docker call uses: same login, host-key check, jump host and TLS, and one connection.
 */
async function apiBuildAndPush(lab: LabConfig, docker: Docker, component: string, ctx: string, ref: string, base: string | undefined): Promise<void> {
  const where = `${lab.swarm.manager.name}`;
  const files = (await readdir(ctx, { recursive: true, withFileTypes: true })).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name).slice(ctx.length + 1));
  const build = await docker.buildImage({ context: ctx, src: files }, { t: ref, ...(base ? { buildargs: { BASE_IMAGE: base } } : {}) });
  await followDockerStream(build, `build of ${component} on ${where}${base ? ` FROM ${base}` : ''}`);
  const colon = ref.lastIndexOf(':');
  const [repo, tagName] = colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  const auth = registryAuth(lab.registry);
  const push = await docker.getImage(repo).push({ tag: tagName, ...(auth ? { authconfig: auth } : {}) });
  try {
    await followDockerStream(push, `push of ${ref} from ${where}`);
  } catch (err) {
    const refused = /auth|unauthorized|denied/i.test((err as Error).message);
    const hint = auth || !refused ? '' : ` (no login for ${lab.registry} in the Docker CLI's config.json auths; credential helpers are not read)`;
    throw new Error(`${(err as Error).message}${hint}`, { cause: err });
  }
}
