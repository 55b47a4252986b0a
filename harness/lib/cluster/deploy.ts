import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { stringify } from 'yaml';
import type { LabConfig } from '../config/lab-config.ts';
import { deployedConfig, stateDir } from '../config/lab-config.ts';
import { dockerClient, managerDocker } from './docker-clients.ts';
import { buildSystemImages } from './images.ts';
import { AGENT_SERVICE, MANAGER_SERVICE, agentSpec, managerSpec, webStressSpec, type SpecInputs, type SystemImages } from '../config/system-specs.ts';
import { waitFor } from '../events/wait-for.ts';
import { appTasks, setServiceShape } from './app-control.ts';
import { DockerSwarm } from './docker-swarm.ts';
import type { LabSwarm } from './lab-port.ts';
import type { SwarmTask } from './types.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A token from the environment variable lab.yaml names, or for the local lab one made once and kept
 * in the lab's state folder (never in the repository).
 */
async function tokenFrom(lab: LabConfig, envName: string, file: string, what: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (lab.kind !== 'local') throw new Error(`set ${envName} to the ${what} (named in lab.yaml)`);
  const path = join(stateDir(lab), file);
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const token = randomBytes(24).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The agent→manager token (alerts and reports). */
export function resolveToken(lab: LabConfig): Promise<string> {
  return tokenFrom(lab, lab.swarmguard.token_env, 'swarmguard-token', 'SwarmGuard token');
}

/** The time-series store's token (VictoriaMetrics in the local lab accepts any). */
export function resolveInfluxToken(lab: LabConfig): Promise<string> {
  return tokenFrom(lab, lab.influxdb.token_env, 'influx-token', 'InfluxDB 2 token');
}

/** A tag pushed to the lab registry, pinned to its digest so every node runs exactly that build. */
export async function pinDigest(lab: LabConfig, ref: string): Promise<string> {
  if (lab.kind !== 'local') return ref;
  const [repo, tag] = ref.slice(lab.registry.length + 1).split(':');
  const res = await fetch(`http://${lab.registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    signal: AbortSignal.timeout(5000),
  });
  const digest = res.headers.get('docker-content-digest');
  if (!res.ok || !digest) throw new Error(`registry ${lab.registry} has no ${ref} (HTTP ${res.status})`);
  return `${ref}@${digest}`;
}

async function ensureSecret(docker: Docker, base: string, value: string): Promise<{ id: string; name: string }> {
  const name = `${base}_${sha(value).slice(0, 12)}`;
  const found = (await docker.listSecrets({ filters: { name: [name] } })) as { ID: string; Spec: { Name: string } }[];
  const hit = found.find((s) => s.Spec.Name === name);
  if (hit) return { id: hit.ID, name };
  const created = (await docker.createSecret({ Name: name, Data: Buffer.from(value).toString('base64'), Labels: { 'swarmguard.component': 'true' } })) as { id: string };
  return { id: created.id, name };
}

async function ensureConfig(docker: Docker, text: string): Promise<{ id: string; name: string }> {
  const name = `swarmguard_config_${sha(text).slice(0, 12)}`;
  const found = (await docker.listConfigs({ filters: { name: [name] } })) as { ID: string; Spec: { Name: string } }[];
  const hit = found.find((c) => c.Spec.Name === name);
  if (hit) return { id: hit.ID, name };
  const created = (await docker.createConfig({ Name: name, Data: Buffer.from(text).toString('base64'), Labels: { 'swarmguard.component': 'true' } })) as { id: string };
  return { id: created.id, name };
}

/** Creates the service, or updates it to the spec (a spec equal to the current one restarts nothing). */
export async function upsertService(docker: Docker, spec: Record<string, unknown>): Promise<void> {
  const name = spec.Name as string;
  try {
    const current = (await docker.getService(name).inspect()) as { Version: { Index: number } };
    await docker.getService(name).update({ ...spec, version: current.Version.Index });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    await docker.createService(spec);
  }
}

export async function runningTasks(swarm: LabSwarm, service: string): Promise<SwarmTask[]> {
  const tasks = await swarm.tasks({ service, desiredState: 'running' });
  return tasks.filter((t) => t.state === 'running');
}

export interface DeployResult {
  images: SystemImages;
  seconds: number;
}

/** Builds and pushes the images, deploys agent, manager and web-stress, and waits until all are healthy. */
export async function deploySystem(lab: LabConfig, log: (line: string) => void = () => undefined): Promise<DeployResult> {
  const started = performance.now();
  const docker = managerDocker(lab);
  log('building and pushing images');
  const refs = await buildSystemImages(lab);
  const byName = Object.fromEntries(await Promise.all(refs.map(async (r) => [r.split('/swarmguard/')[1].split(':')[0], await pinDigest(lab, r)])));
  const images = { agent: byName.agent, manager: byName.manager, 'web-stress': byName['web-stress'] } as SystemImages;
  const token = await resolveToken(lab);
  const influxToken = await resolveInfluxToken(lab);
  const inputs: SpecInputs = {
    images,
    tokenSecret: await ensureSecret(docker, 'swarmguard_token', token),
    config: await ensureConfig(docker, stringify(deployedConfig(lab))),
    influxTokenSecret: await ensureSecret(docker, 'swarmguard_influx_token', influxToken),
  };
  // The app's image on every worker before anything moves: otherwise the first migration onto a
  // worker that never ran this build measures a registry pull too (seen: T5 − T4 1.8 s, then 1.2–1.6 s).
  const pulled = await prePull(lab, images['web-stress']);
  log(`app image on ${pulled.ok.length} worker(s)${pulled.failed.length ? `; not pulled (swarm will when it places a task): ${pulled.failed.join('; ')}` : ''}`);
  log('deploying services');
  await upsertService(docker, managerSpec(lab, inputs));
  await upsertService(docker, agentSpec(lab, inputs));
  await deployApp(lab, docker, webStressSpec(lab, inputs) as AppSpec, log);
  await waitHealthy(lab, new DockerSwarm(docker));
  return { images, seconds: (performance.now() - started) / 1000 };
}

interface AppSpec {
  Name: string;
  TaskTemplate: { Placement: { Constraints: string[] } };
  [key: string]: unknown;
}

const UPDATE_MOVING = new Set(['updating', 'rollback_started']);

interface UpdateStatus {
  State?: string;
  Message?: string;
  StartedAt?: string;
}

async function updateStatus(docker: Docker, name: string): Promise<UpdateStatus> {
  return ((await docker.getService(name).inspect()) as { UpdateStatus?: UpdateStatus }).UpdateStatus ?? {};
}

/**
 * Waits (bounded) until the update started after `before` has ended, and returns its last state.
 * A spec swarm found unchanged starts no update: after `graceMs` without one, the old status is returned.
 */
async function updateEnded(docker: Docker, name: string, before: UpdateStatus, timeoutMs = 120_000, graceMs = 3000): Promise<UpdateStatus> {
  const since = Date.now();
  return waitFor(
    `the update of ${name} to end`,
    async () => {
      const u = await updateStatus(docker, name);
      // swarm clears the status when it takes a new spec, and fills it once its updater starts
      if (!u.StartedAt) return Date.now() - since > 2 * graceMs ? u : undefined;
      if (u.StartedAt === before.StartedAt) return Date.now() - since > graceMs ? u : undefined;
      return UPDATE_MOVING.has(u.State ?? '') ? undefined : u;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** Why swarm's last failed task of a service failed, for an error message. */
async function lastTaskError(docker: Docker, name: string): Promise<string> {
  const tasks = (await docker.listTasks({ filters: { service: [name] } })) as Array<{ UpdatedAt: string; Status: { Err?: string } }>;
  const failed = tasks.filter((t) => t.Status.Err).sort((a, b) => Date.parse(b.UpdatedAt) - Date.parse(a.UpdatedAt));
  return failed[0]?.Status.Err ?? 'no task error recorded';
}

/**
 * Deploys the app so that its new spec really runs. With host-mode publishing, a start-first update
 * may place a replacement on the node whose task it replaces: it cannot bind the port, fails, and
 * swarm rolls the whole update back (seen on the local lab: a deploy's new healthcheck undone within
 * 6 s, silently). Then the update is made again with the nodes that run a task excluded, and the
 * exclusion is dropped once it has rolled (a placement-only change that keeps every task). A
 * rollback that remains is an error naming swarm's reason.
 */
async function deployApp(lab: LabConfig, docker: Docker, spec: AppSpec, log: (line: string) => void): Promise<void> {
  const name = spec.Name;
  const swarm = new DockerSwarm(docker);
  const existed = await docker.getService(name).inspect().then(() => true, () => false);
  let before = existed ? await updateStatus(docker, name) : {};
  await upsertService(docker, spec);
  if (!existed) return;
  let end = await updateEnded(docker, name, before);
  if (end.StartedAt === before.StartedAt || (!end.State?.startsWith('rollback') && end.State !== 'paused')) return;
  const why = await lastTaskError(docker, name);
  const busy = [...new Set((await appTasks(swarm, name)).filter((t) => t.state === 'running').map((t) => t.node))];
  if (lab.app.publish.mode !== 'host' || lab.swarm.workers.length - busy.length < lab.app.replicas) {
    throw new Error(`swarm rolled the update of ${name} back (${end.State}: ${end.Message ?? ''}); its task failed with: ${why}`);
  }
  log(`${name}: swarm rolled the update back (${why}); updating again with ${busy.join(', ')} excluded`);
  const base = spec.TaskTemplate.Placement.Constraints;
  before = await updateStatus(docker, name);
  await upsertService(docker, { ...spec, TaskTemplate: { ...spec.TaskTemplate, Placement: { ...spec.TaskTemplate.Placement, Constraints: [...base, ...busy.map((n) => `node.hostname!=${n}`)] } } });
  end = await updateEnded(docker, name, before);
  if (end.State !== 'completed') throw new Error(`the update of ${name} with ${busy.join(', ')} excluded ended ${end.State ?? 'without a state'}: ${end.Message ?? ''}; its task failed with: ${await lastTaskError(docker, name)}`);
  before = await updateStatus(docker, name);
  await setServiceShape(swarm, name, { constraints: base });
  await updateEnded(docker, name, before);
}

/** Pulls an image on every worker (by its pinned digest); a node that cannot is named, not fatal. */
export async function prePull(lab: LabConfig, ref: string): Promise<{ ok: string[]; failed: string[] }> {
  const results = await Promise.all(
    lab.swarm.workers.map(async (w) => {
      const docker = dockerClient(lab, w);
      try {
        const stream = await docker.pull(ref);
        await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
        return { node: w.name };
      } catch (error) {
        return { node: w.name, error: `${w.name}: ${(error as Error).message}` };
      }
    }),
  );
  return { ok: results.filter((r) => !r.error).map((r) => r.node), failed: results.flatMap((r) => (r.error ? [r.error] : [])) };
}

/** Manager answering, one agent per node, web-stress serving through the entrypoint. */
export async function waitHealthy(lab: LabConfig, swarm: LabSwarm = new DockerSwarm(managerDocker(lab)), timeoutMs = 120_000): Promise<void> {
  const nodes = lab.swarm.workers.length + 1;
  await waitFor('manager healthy', async () => (await fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(1000) })).ok, { timeoutMs });
  await waitFor(`${AGENT_SERVICE} running on ${nodes} nodes`, async () => (await runningTasks(swarm, AGENT_SERVICE)).length === nodes, { timeoutMs });
  await waitFor(`${MANAGER_SERVICE} running`, async () => (await runningTasks(swarm, MANAGER_SERVICE)).length === 1, { timeoutMs });
  await waitFor(
    `${lab.app.service} serving through ${lab.entrypoint}`,
    async () => (await fetch(`${lab.entrypoint}${lab.app.healthcheck.path}`, { signal: AbortSignal.timeout(1000) })).ok,
    { timeoutMs },
  );
}
