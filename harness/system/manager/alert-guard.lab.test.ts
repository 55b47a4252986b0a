/**
 * On the real local lab: the manager holds the swarm's Docker socket, so forged alerts
 * (no token, wrong token) and malformed ones (bad JSON, wrong types, unknown keys, oversized) must be
 * refused with 401/400/413/415 and change nothing on the swarm. The alerts target the live task with
 * metrics that match the migration rule, and the manager has no cooldown and no action in flight:
 * only the request's own fault stands between it and a migration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../lib/config/lab-config.ts';
import { deploySystem, resolveToken } from '../../lib/cluster/deploy.ts';
import { appTasks, resetApp, type AppTask } from '../../lib/cluster/app-control.ts';
import { managerDocker } from '../../lib/cluster/docker-clients.ts';
import { makeContext } from '../../lib/experiments/context.ts';
import { restartManager } from '../../lib/experiments/manager-control.ts';
import { managerEvents } from '../../lib/cluster/manager-api.ts';
import { epochNow, forgeAlert, managerStateView, postAlert, serviceView, sleep, type ServiceView } from './lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const docker = managerDocker(lab);
const service = lab.app.service;
let token = '';
let task: AppTask;
let before: ServiceView;

const validAlert = () => forgeAlert(service, { node: task.node, containerId: task.containerId, taskId: task.id }, 'scenario1_migration');

beforeAll(async () => {
  await deploySystem(lab);
  token = await resolveToken(lab);
  await resetApp(lab, ctx.cluster);
  await restartManager(ctx); // no cooldown from an earlier test
  [task] = (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running');
  before = await serviceView(docker, service);
  const state = await managerStateView(lab);
  expect(state.cooldowns.filter((c) => c.service === service)).toEqual([]);
  expect(state.inFlight.filter((a) => a.service === service)).toEqual([]);
});

afterAll(async () => {
  await resetApp(lab, ctx.cluster);
});

type Case = { name: string; status: number; token: string | undefined; body: () => unknown; headers?: Record<string, string>; message?: RegExp };

const cases: Case[] = [
  { name: 'no token', status: 401, token: undefined, body: validAlert },
  { name: 'wrong token', status: 401, token: 'not-the-token-0123456789abcdef', body: validAlert },
  { name: 'a token that is a prefix of the real one', status: 401, token: 'PREFIX', body: validAlert },
  { name: 'no token and oversized (auth before the body is read)', status: 401, token: undefined, body: () => ({ ...validAlert(), pad: 'x'.repeat(40_000) }) },
  { name: 'bad JSON', status: 400, token: 'VALID', body: () => JSON.stringify(validAlert()).slice(0, 40), message: /not valid JSON/ },
  { name: 'wrong types (cpu as a string)', status: 400, token: 'VALID', body: () => ({ ...validAlert(), m: { ...validAlert().m, cpu: 'high' } }), message: /m\.cpu/ },
  { name: 'container not hex', status: 400, token: 'VALID', body: () => ({ ...validAlert(), container: 'ZZZZZZZZZZZZ' }), message: /container/ },
  { name: 'unknown key', status: 400, token: 'VALID', body: () => ({ ...validAlert(), cmd: 'docker service rm' }), message: /cmd|unrecognized/i },
  { name: 'empty body', status: 400, token: 'VALID', body: () => '', message: /empty body/ },
  { name: 'oversized (valid token)', status: 413, token: 'VALID', body: () => ({ ...validAlert(), pad: 'x'.repeat(40_000) }), message: /larger than/ },
  { name: 'not JSON content-type', status: 415, token: 'VALID', body: () => 'cpu=90', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
];

describe.sequential('manager on the lab: forged and malformed alerts change nothing', () => {
  let since = 0;

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      since ||= epochNow() - 1;
      const t = c.token === 'VALID' ? token : c.token === 'PREFIX' ? token.slice(0, 8) : c.token;
      const res = await postAlert(lab, t, c.body(), c.headers);
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      if (c.message) expect(String(res.body.message)).toMatch(c.message);
    });
  }

  it('none of them reached the decision code; the service and its task are unchanged', async () => {
    await sleep(2000); // an action, had one started, would have updated the service by now
    const events = await managerEvents(lab, since);
    expect(events.filter((e) => ['alert_received', 'decision_made', 'action_started'].includes(e.event))).toEqual([]);
    const rejected = events.filter((e) => e.event === 'request_rejected').map((e) => e.status);
    expect(rejected.sort()).toEqual(cases.map((c) => c.status).sort());
    const after = await serviceView(docker, service);
    expect(after.version).toBe(before.version);
    expect(after.forceUpdate).toBe(before.forceUpdate);
    expect(after.constraints).toEqual(before.constraints);
    const tasks = await appTasks(ctx.cluster, service);
    expect(tasks.map((x) => [x.id, x.node, x.state])).toEqual([[task.id, task.node, 'running']]);
  });

  it('control: the right token and a well-formed body do reach the decision code (metrics matching no rule: ignored, swarm untouched)', async () => {
    const res = await postAlert(lab, token, { ...validAlert(), m: { cpu: 10, mem: 10, mem_mb: 50, net: 1, rx: 0, tx: 0 } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: false, decision: 'ignore', reason: 'rule_mismatch' });
    expect((await serviceView(docker, service)).version).toBe(before.version);
  });
});
