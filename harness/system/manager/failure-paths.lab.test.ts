/**
 * On the real local lab: a migration that swarm's update fails leaves the service served and clean.
 * The app's published port is taken on every worker but the task's own (a process listening on it in
 * the node's network), so the replacement cannot start wherever the manager sends it, and swarm's
 * update fails at once. Two paths, each with the manager configured for it: swarm rolls the update
 * back (failure_action rollback, the default), or pauses it (failure_action pause). After each:
 * action_failed naming the path, no temporary constraint on the service, the original task still
 * running, and no failed probe through the entrypoint (start-first: the old task serves throughout).
 *
 * A third path: the manager's own migration timeout, set to 1 s so it passes while swarm's update
 * still runs (no blocker). It is not reached by freezing a worker's dockerd: on the lab, a SIGSTOP
 * while swarm started a task there left a docker-proxy holding the app's port after the task was
 * gone (Docker 20.10), and every later placement on that worker failed for the rest of the CI run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { loadLab, type LabConfig } from '../../lib/config/lab-config.ts';
import { deploySystem, resolveToken } from '../../lib/cluster/deploy.ts';
import { dockerClient, managerDocker } from '../../lib/cluster/docker-clients.ts';
import { appTasks, pastStartupGrace, resetApp } from '../../lib/cluster/app-control.ts';
import { AvailabilityProbe } from '../../lib/probe/probe.ts';
import { summarizeDowntime } from '../../lib/probe/downtime.ts';
import { makeContext } from '../../lib/experiments/context.ts';
import { restartManager } from '../../lib/experiments/manager-control.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import { epochNow, forgeAlert, postAlert, serviceView, waitActionEvents, waitReportsFromWorkers } from './lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const docker = managerDocker(lab);
const service = lab.app.service;
const port = lab.app.publish.port;
const BASE_CONSTRAINTS = ['node.role==worker'];
const BLOCKER_LABEL = 'swarmguard.test.port-blocker';
let token = '';
let appImage = '';
const figures: Record<string, unknown>[] = [];

function withMigration(base: LabConfig, migration: Record<string, unknown>): LabConfig {
  const next = structuredClone(base);
  next.swarmguard.config.manager = { ...(next.swarmguard.config.manager ?? {}), migration: { ...(next.swarmguard.config.manager?.migration ?? {}), ...migration } } as never;
  return next;
}

/**
 * A plain container on `worker` whose process listens on the app's published port in the node's
 * own network, so no app task can start there. Host networking, not a port binding: a binding goes
 * through docker-proxy, and a force-removed container's proxy was seen to outlive it and keep the
 * port for the rest of a CI run.
 */
async function blockPort(worker: string): Promise<Docker.Container> {
  const node = lab.swarm.workers.find((w) => w.name === worker)!;
  const d = dockerClient(lab, node);
  const c = await d.createContainer({
    Image: appImage,
    // bounded: it exits by itself after 300 s if the test dies before removing it
    Entrypoint: ['node', '-e', `require('net').createServer().listen(${port}); setTimeout(() => process.exit(0), 300000)`],
    Labels: { [BLOCKER_LABEL]: 'true' },
    HostConfig: { NetworkMode: 'host' },
  });
  await c.start();
  return c;
}

async function removeBlockers(): Promise<void> {
  await Promise.all(
    lab.swarm.workers.map(async (w) => {
      const d = dockerClient(lab, w);
      const found = (await d.listContainers({ all: true, filters: { label: [BLOCKER_LABEL] } })) as { Id: string }[];
      await Promise.all(found.map((c) => d.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      // and nothing holds the port any more: the next experiment places the app there
      const left = (await d.listContainers({ all: true, filters: { label: [BLOCKER_LABEL] } })) as unknown[];
      if (left.length > 0) throw new Error(`${w.name}: ${left.length} port blocker(s) still there`);
    }),
  );
}

beforeAll(async () => {
  appImage = (await deploySystem(lab)).images['web-stress'];
  token = await resolveToken(lab);
  await resetApp(lab, ctx.cluster);
});

afterAll(async () => {
  await removeBlockers();
  await deploySystem(lab); // the lab's own manager settings again
  await resetApp(lab, ctx.cluster);
  console.table(figures);
});

/**
 * `blocked`: the port is taken on every other worker, so swarm's update fails and the original must
 * be the task left running. The timeout path needs no blocker: a deadline of 1 s ends a migration
 * whose replacement takes about 2 s to become healthy, while swarm's update is still running, and
 * the clean-up must withdraw or keep the replacement without a failed request either way.
 */
const paths: { name: string; migration: Record<string, unknown>; reason: RegExp; blocked: boolean }[] = [
  { name: 'swarm rolls the update back', migration: { failure_action: 'rollback' }, reason: /swarm update rollback_(started|completed|paused)/, blocked: true },
  { name: 'swarm pauses the update', migration: { failure_action: 'pause' }, reason: /swarm update paused/, blocked: true },
  { name: "the manager's migration timeout passes mid-update", migration: { timeout: 1 }, reason: /^timeout: /, blocked: false },
];

describe.sequential('manager on the lab: a migration that cannot succeed', () => {
  for (const path of paths) {
    it(`${path.name}: action_failed, no constraint left, ${path.blocked ? 'the original task' : 'one task'} still serving, 0 failed probes`, async () => {
      await deploySystem(withMigration(lab, path.migration));
      await restartManager(ctx); // no cooldown from the previous path
      const [task] = await pastStartupGrace(lab, await resetApp(lab, ctx.cluster));
      const others = lab.swarm.workers.filter((w) => w.name !== task!.node).map((w) => w.name);
      const blockers = path.blocked ? await Promise.all(others.map((w) => blockPort(w))) : [];
      await waitReportsFromWorkers(lab);
      const probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: 100, durationMs: 120_000 });
      probe.start();
      try {
        const since = epochNow() - 1;
        const answer = await postAlert(lab, token, forgeAlert(service, { node: task!.node, containerId: task!.containerId, taskId: task!.id }, 'scenario1_migration'));
        expect(answer.status, JSON.stringify(answer.body)).toBe(202);
        expect(answer.body).toMatchObject({ accepted: true, decision: 'migrate' });
        const events = await waitActionEvents(lab, since, String(answer.body.actionId), 100_000);
        const failed = events.find((e) => e.event === 'action_failed');
        expect(failed, `the action ended ${events.map((e) => e.event).join(', ')}`).toBeDefined();
        expect(String(failed!.reason)).toMatch(path.reason);

        let view = await serviceView(docker, service);
        await waitFor(
          'no temporary constraint, and no update in progress',
          async () => {
            view = await serviceView(docker, service);
            return JSON.stringify(view.constraints) === JSON.stringify(BASE_CONSTRAINTS) && view.labels['swarmguard.temporary-constraints'] === undefined && view.updateState !== 'updating';
          },
          { timeoutMs: 45_000, intervalMs: 500, lastSeen: () => `constraints ${JSON.stringify(view.constraints)}, update ${view.updateState}` },
        );
        let running = await appTasks(ctx.cluster, service);
        await waitFor('one running task', async () => (running = (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running')).length === 1, { timeoutMs: 60_000, intervalMs: 500 });
        if (path.blocked) expect(running.map((t) => t.id)).toEqual([task!.id]);
        await new Promise((r) => setTimeout(r, 2000)); // the probe sees the settled service too
        const down = summarizeDowntime((await probe.stop()).samples);
        figures.push({ path: path.name, reason: String(failed!.reason).slice(0, 160), failedAfterMs: Math.round(Number(failed!.elapsedMs)), updateState: view.updateState, original: running[0]!.id === task!.id ? 'kept' : `replaced on ${running[0]!.node}`, probes: down.samples, failed: down.failed });
        expect(down.failed).toBe(0);
      } finally {
        await probe.stop();
        await Promise.all(blockers.map((b) => b.remove({ force: true }).catch(() => undefined)));
      }
    });
  }
});
