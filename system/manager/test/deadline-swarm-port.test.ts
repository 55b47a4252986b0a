import { describe, expect, it } from 'vitest';
import { DeadlineError, DeadlineSwarmPort } from '../src/deadline-swarm-port.ts';
import { FakeClock, FakeSwarm, node } from './fake-swarm.ts';
import { alertFor, setup } from './helpers.ts';

describe('DeadlineSwarmPort', () => {
  it('a call that never answers rejects after the limit, naming the call, the time waited and the limit', async () => {
    const swarm = new FakeSwarm(new FakeClock(), [node('worker-1')]);
    swarm.addService('web-stress', { on: ['worker-1'] });
    swarm.hang.add('listTasks');
    const port = new DeadlineSwarmPort(swarm, () => 30);
    const started = Date.now();
    const error = await port.listTasks('web-stress').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ call: 'listTasks(web-stress)', limitMs: 30 });
    expect((error as DeadlineError).waitedMs).toBeGreaterThanOrEqual(29);
    expect((error as Error).message).toMatch(/^docker call listTasks\(web-stress\) got no answer after \d+ ms \(limit 30 ms\)$/);
    expect(Date.now() - started).toBeLessThan(1000);
    // other calls answer, and errors pass through unchanged
    expect(await port.inspectService('web-stress')).toMatchObject({ name: 'web-stress' });
    await expect(port.inspectService('nginx')).rejects.toThrow(/no such service/);
  });

  it('an action whose Docker call hangs ends with action_failed (call, time waited) and releases the service', async () => {
    const h = setup({ yaml: 'manager: {docker_call_timeout_ms: 100}', port: (swarm) => new DeadlineSwarmPort(swarm, () => 100) });
    h.swarm.hang.add('updateService');
    const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    expect(outcome).toMatchObject({ accepted: true, decision: 'migrate' });
    await h.manager.idle();
    const failed = h.named('action_failed')[0]!;
    expect(failed).toMatchObject({ action: 'migrate', call: 'updateService(web-stress, version 10)', limitMs: 100 });
    expect(failed.waitedMs).toBeGreaterThanOrEqual(99);
    expect(failed.reason).toMatch(/got no answer after \d+ ms \(limit 100 ms\)/);
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
    // the service is free again: once swarm answers, the next alert (after the cooldown) acts
    h.swarm.hang.clear();
    h.clock.t += 30_000;
    await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    await h.manager.idle();
    expect(h.named('action_completed')).toHaveLength(1);
  });

  it('the manager config has the deadline, 10 s by default', async () => {
    const h = setup();
    expect(h.manager.config().manager.docker_call_timeout_ms).toBe(10_000);
  });
});
