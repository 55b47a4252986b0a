import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { EventLogger } from '../../shared/event-logger.ts';
import { influxSettingsFromEnv, routeInfluxClientLog } from '../../shared/influx.ts';
import { LineActionStore, NullActionStore, type ActionStore, ACTION_MEASUREMENT } from './action-store.ts';
import { ACTION_BUFFER_OPTIONS, BufferedLineWriter } from './buffered-line-writer.ts';
import { InfluxLineSender } from './influx-line-sender.ts';
import { buildApp } from './app.ts';
import { systemClock, type Clock } from './clock.ts';
import { loadConfig, loadToken, overridesFrom } from './config.ts';
import { ConfigStore } from './config-store.ts';
import { DeadlineSwarmPort } from './deadline-swarm-port.ts';
import { DockerSwarmAdapter } from './docker-swarm-adapter.ts';
import { RecoveryManager } from './recovery-manager.ts';
import { LeftoverSweep } from './leftover-sweep.ts';
import { NodeFailureWatch } from './node-failure-watch.ts';
import { NodeWatch } from './node-watch.ts';
import { ScaleDownLoop } from './scale-down-loop.ts';
import { reconcileOnStart } from './startup-reconciler.ts';
import type { SwarmPort } from './swarm-port.ts';

export interface RunningManager {
  app: FastifyInstance;
  address: string;
  stop(): Promise<void>;
}

/** Wires config, Docker, the manager, the scale-down loop and the HTTP API, and listens. */
export async function startServer(
  env: NodeJS.ProcessEnv,
  argv: string[],
  docker: SwarmPort = new DockerSwarmAdapter(),
  clock: Clock = systemClock,
): Promise<RunningManager> {
  const overrides = overridesFrom(env, argv);
  const store = new ConfigStore(loadConfig(overrides), overrides);
  // every Docker call has a deadline: a hung dockerd must not stall the loops or hold a service's lock
  const port = new DeadlineSwarmPort(docker, () => store.current().manager.docker_call_timeout_ms, () => clock.now());
  const token = loadToken(env);
  // Asynchronous stdout: lines written while a write is pending go out together (fewer syscalls and
  // log-driver wake-ups under an alert flood); pino flushes what is left when the process exits.
  const stdout = pino.destination({ dest: 1, sync: false });
  const events = new EventLogger('manager', env.NODE_NAME ?? hostname(), stdout);
  const influx = influxSettingsFromEnv(env);
  let actions: ActionStore = new NullActionStore();
  if (influx) {
    routeInfluxClientLog(events);
    const sender = new InfluxLineSender(influx, ACTION_BUFFER_OPTIONS.batchLines);
    actions = new LineActionStore(new BufferedLineWriter(sender, events, { measurement: ACTION_MEASUREMENT }));
  }
  const manager = new RecoveryManager({ port, clock, events, config: () => store.current(), actions });
  const scaleDown = new ScaleDownLoop(manager, clock);
  const cfg = store.current();
  const app = buildApp({ manager, clock, token, bodyLimit: cfg.manager.body_limit, scaleDown });

  store.watch({
    accepted: (next) => {
      events.event('config_reloaded', { file: overrides.file });
      if (next.manager.port !== cfg.manager.port || next.manager.body_limit !== cfg.manager.body_limit) {
        events.event('config_restart_needed', { keys: ['manager.port', 'manager.body_limit'] });
      }
    },
    rejected: (reason) => events.event('config_reload_rejected', { file: overrides.file, reason }),
  });

  await manager.inventory.refresh().catch((error: Error) =>
    events.event('swarm_error', { error: error.message, during: 'start-up inventory' }),
  );
  // before listening: the services a dead manager left mid-migration are held before any alert arrives
  const reconciling = reconcileOnStart(manager, port, clock).catch((error: Error) =>
    events.event('swarm_error', { error: error.message, during: 'start-up reconciliation' }),
  );
  const nodeWatch = new NodeWatch(manager, clock, () => store.current().monitoring.poll_interval * 1000);
  // the manager's own node-failure detection, ahead of swarm's heartbeat
  const failureWatch = new NodeFailureWatch(manager, port, clock);
  // a constraint whose clean-up swarm refused would otherwise stay until the next start
  const sweep = new LeftoverSweep(manager, port, clock, 30_000);
  const address = await app.listen({ port: cfg.manager.port, host: cfg.manager.host });
  scaleDown.start();
  nodeWatch.start();
  failureWatch.start();
  let stopping = false;
  void reconciling.then(() => {
    if (!stopping) sweep.start();
  });
  events.event('manager_started', {
    address,
    configFile: overrides.file ?? null,
    services: cfg.manager.services ?? 'all',
    nodeDetection: cfg.manager.node_detection.enabled ? cfg.manager.node_detection : 'off',
    influx: influx ? `${influx.url} org=${influx.org} bucket=${influx.bucket}` : 'off (INFLUX_URL not set)',
  });

  return {
    app,
    address,
    async stop() {
      stopping = true;
      scaleDown.stop();
      nodeWatch.stop();
      failureWatch.stop();
      sweep.stop();
      store.stop();
      await app.close();
      // an action cut short leaves at most its temporary constraint, which the next start reconciles
      await Promise.race([Promise.all([manager.idle(), reconciling]), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      // the actions just finished go out with one last attempt, bounded (the writer's close)
      await manager.actions.close();
    },
  };
}
