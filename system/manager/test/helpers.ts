import { EventLogger, type EventRecord } from '../../shared/event-logger.ts';
import type { Alert, Report } from '../../shared/alert-schema.ts';
import type { ActionStore } from '../src/action-store.ts';
import { buildApp } from '../src/app.ts';
import { parseConfig, type ManagerConfig } from '../src/config.ts';
import { RecoveryManager } from '../src/recovery-manager.ts';
import { ScaleDownLoop } from '../src/scale-down-loop.ts';
import type { SwarmPort } from '../src/swarm-port.ts';
import { FakeClock, FakeSwarm, node } from './fake-swarm.ts';

export const TOKEN = 'test-token-0123456789abcdef';

export const silent = { write: (_line: string) => undefined };

export function testConfig(yaml = ''): ManagerConfig {
  return parseConfig(yaml, {}, 'test');
}

/** A manager over a fake swarm of one manager node and three workers, web-stress on worker-3. */
export function setup(
  opts: { yaml?: string; replicas?: number; on?: string[]; constraints?: string[]; nodes?: string[]; port?: (swarm: FakeSwarm) => SwarmPort; actions?: ActionStore } = {},
) {
  const clock = new FakeClock();
  const workers = opts.nodes ?? ['worker-1', 'worker-2', 'worker-3'];
  const swarm = new FakeSwarm(clock, [node('manager-1', 'manager'), ...workers.map((w) => node(w))]);
  swarm.addService('web-stress', {
    replicas: opts.replicas ?? opts.on?.length ?? 1,
    on: opts.on ?? ['worker-3'],
    constraints: opts.constraints ?? ['node.role==worker'],
  });
  let config = testConfig(opts.yaml ?? '');
  const events = new EventLogger('manager', 'manager-1', silent, 100_000);
  const manager = new RecoveryManager({ port: opts.port ? opts.port(swarm) : swarm, clock, events, config: () => config, actions: opts.actions });
  const scaleDown = new ScaleDownLoop(manager, clock);
  const app = buildApp({ manager, clock, token: TOKEN, bodyLimit: config.manager.body_limit, scaleDown });
  return {
    clock,
    swarm,
    events,
    manager,
    scaleDown,
    app,
    setConfig: (yaml: string) => {
      config = testConfig(yaml);
    },
    named: (name: string): EventRecord[] => events.since(0).filter((e) => e.event === name),
  };
}

let alertSeq = 0;

/** An alert for web-stress's running task on `hostname`. */
export function alertOn(swarm: FakeSwarm, hostname: string, scenario: Alert['scenario'] = 'scenario1_migration'): Alert {
  const task = swarm.liveTasks('web-stress').find((t) => swarm.hostOf(t) === hostname);
  if (!task) throw new Error(`web-stress has no running task on ${hostname}`);
  return alertFor(swarm, { node: hostname, task: task.id, container: (task.containerId ?? '').slice(0, 12) }, scenario);
}

/** An alert for the (first) task of web-stress as it is now. */
export function alertFor(swarm: FakeSwarm, overrides: Partial<Alert> = {}, scenario: Alert['scenario'] = 'scenario1_migration'): Alert {
  const task = swarm.liveTasks('web-stress')[0];
  if (!task) throw new Error('web-stress has no running task');
  alertSeq += 1;
  const t = swarm.clock.now();
  const m =
    scenario === 'scenario1_migration'
      ? { cpu: 86.1, mem: 31.2, mem_mb: 160, net: 2.1, rx: 1.2, tx: 0.9 }
      : { cpu: 88, mem: 40, mem_mb: 200, net: 80, rx: 40, tx: 40 };
  return {
    id: `${swarm.hostOf(task)}:${Math.floor(t)}:${alertSeq}`,
    t0: t - 1000,
    t1: t,
    node: swarm.hostOf(task) ?? 'nowhere',
    service: 'web-stress',
    container: (task.containerId ?? '').slice(0, 12),
    task: task.id,
    scenario,
    m,
    ...overrides,
  };
}

export function report(nodeName: string, t: number, containers: Report['containers']): Report {
  return { node: nodeName, t, containers };
}

export const auth = { authorization: `Bearer ${TOKEN}` };
