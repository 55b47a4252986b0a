/**
 * On the real local lab: a migration that cannot succeed leaves the service served and clean. Three failure
 * paths, each with the manager configured for it:
 * - swarm's update rolls back (failure_action rollback, the default) and
 * - swarm pauses it (failure_action pause): the app's published port is taken on every worker but
 *   the task's own (a plain container binding it), so the replacement fails to start wherever the
 *   manager sends it, and swarm's update fails at once;
 * - the manager's own timeout fires first (migration.timeout 3 s, then it asks swarm for the
 *   rollback): the other workers' dockerd is frozen (SIGSTOP) for the timeout and 2 s more, so the
 *   replacement is assigned and not started in time (well inside swarm's heartbeat grace of about
 *   15 s, so no node is marked down). Whether swarm then rolls back or, the node resumed, completes
 *   the move after all is a race; both were seen.
 * After each: action_failed naming the path, no temporary constraint on the service, one task
 * running. Where swarm failed the update, that is the original task and no probe through the
 * entrypoint failed (start-first: the old task serves throughout); after the manager's timeout the
 * failed probes are counted and logged, not asserted (see the test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { loadLab, stateDir, type LabConfig } from '../../lib/lab-config.ts';
import { LabPaths } from '../../lab/lab-paths.ts';
import { readPid } from '../../lab/processes.ts';
import { deploySystem, resolveToken } from '../../lib/deploy.ts';
import { dockerClient } from '../../lib/docker-clients.ts';
import { appTasks, pastStartupGrace, resetApp } from '../../lib/app-control.ts';
import { AvailabilityProbe } from '../../lib/probe.ts';
import { summarizeDowntime } from '../../lib/downtime.ts';
import { makeContext } from '../../lib/experiments/context.ts';
import { restartManager } from '../../lib/experiments/manager-control.ts';
import { waitFor } from '../../lib/wait-for.ts';
import { epochNow, forgeAlert, postAlert, serviceView, waitActionEvents, waitReportsFromWorkers } from './lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const docker = ctx.docker;
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
  await resetApp(lab, docker);
});

afterAll(async () => {
  thaw();
  await removeBlockers();
  await deploySystem(lab); // the lab's own manager settings again
  await resetApp(lab, docker);
  console.table(figures);
});

const TIMEOUT_S = 3;
const paths: { name: string; migration: Record<string, unknown>; fault: 'port' | 'freeze'; reason: RegExp }[] = [
  { name: 'swarm rolls the update back', migration: { failure_action: 'rollback' }, fault: 'port', reason: /swarm update rollback_(started|completed|paused)/ },
  { name: 'swarm pauses the update', migration: { failure_action: 'pause' }, fault: 'port', reason: /swarm update paused/ },
  { name: "the manager's timeout fires first", migration: { failure_action: 'rollback', timeout: TIMEOUT_S }, fault: 'freeze', reason: new RegExp(`timeout: no healthy task on another node after \\d+ ms \\(limit ${TIMEOUT_S * 1000} ms\\); rollback`) },
];

const frozen = new Set<number>();
function thaw(): void {
  for (const pid of frozen) process.kill(pid, 'SIGCONT');
  frozen.clear();
}

/** SIGSTOPs the dockerd of these workers; thaw() resumes them (also in afterAll, whatever failed). */
function freeze(workers: string[]): void {
  const paths = new LabPaths(stateDir(lab));
  for (const w of workers) {
    const pid = readPid(paths.node(w).pidFile);
    if (pid === undefined) throw new Error(`no dockerd pid for ${w}`);
    process.kill(pid, 'SIGSTOP');
    frozen.add(pid);
  }
}

describe.sequential('manager on the lab: a migration that cannot succeed', () => {
  for (const path of paths) {
    it(`${path.name}: action_failed, no constraint left, one task serving (the original, with 0 failed probes, where swarm failed the update)`, async () => {
      await deploySystem(withMigration(lab, path.migration));
      await restartManager(ctx); // no cooldown from the previous path
      const [task] = await pastStartupGrace(lab, await resetApp(lab, docker));
      const others = lab.swarm.workers.filter((w) => w.name !== task!.node).map((w) => w.name);
      const blockers = path.fault === 'port' ? await Promise.all(others.map((w) => blockPort(w))) : [];
      await waitReportsFromWorkers(lab);
      const probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: 100, durationMs: 120_000 });
      probe.start();
      try {
        const since = epochNow() - 1;
        if (path.fault === 'freeze') freeze(others);
        const answer = await postAlert(lab, token, forgeAlert(service, { node: task!.node, containerId: task!.containerId, taskId: task!.id }, 'scenario1_migration'));
        if (path.fault === 'freeze') setTimeout(thaw, (TIMEOUT_S + 2) * 1000);
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
        let running = await appTasks(docker, service);
        await waitFor('one running task', async () => (running = (await appTasks(docker, service)).filter((t) => t.state === 'running')).length === 1, { timeoutMs: 60_000, intervalMs: 500 });
        // Where swarm itself failed the update (rollback, pause), the original task never stopped.
        // After the manager's timeout, its rollback request races the frozen node's resumption:
        // seen on the lab, the replacement started once its dockerd resumed and the move completed
        // after all. Either way one task serves and no constraint is left.
        if (path.fault === 'port') expect(running.map((t) => t.id)).toEqual([task!.id]);
        await new Promise((r) => setTimeout(r, 2000)); // the probe sees the settled service too
        const down = summarizeDowntime((await probe.stop()).samples);
        figures.push({ path: path.name, reason: String(failed!.reason).slice(0, 160), failedAfterMs: Math.round(Number(failed!.elapsedMs)), updateState: view.updateState, original: running[0]!.id === task!.id ? 'kept' : `replaced on ${running[0]!.node}`, probes: down.samples, failed: down.failed });
        // Where swarm failed the update, the old task served throughout. After the manager's
        // timeout, the rollback it asks for races the frozen node's resumption, and once (CI,
        // 1 run of 3) swarm replaced the original task with 16 failed probes: a finding for the
        // timeout path, recorded here and not asserted away.
        if (path.fault === 'port') expect(down.failed).toBe(0);
        else if (down.failed > 0) console.log(`[failure-paths] ${path.name}: ${down.failed} of ${down.samples} probes failed (original ${running[0]!.id === task!.id ? 'kept' : 'replaced'})`);
      } finally {
        thaw();
        await probe.stop();
        await Promise.all(blockers.map((b) => b.remove({ force: true }).catch(() => undefined)));
      }
    });
  }
});
