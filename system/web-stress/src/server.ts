import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps, type Lifecycle } from './app.ts';
import { FsCgroupReader } from './cgroup-reader.ts';
import { InflightResponses } from './inflight-responses.ts';
import { realClock } from './clock.ts';
import { createCpuMeter } from './cpu-meter.ts';
import { CpuStress } from './cpu-stress.ts';
import { standbyHolders, workerMemoryHolder } from './memory-holder.ts';
import { MemoryStress } from './memory-stress.ts';
import { memoryLimit, MetricsSampler } from './metrics-sampler.ts';
import { parseNetworkSink } from './network-sink.ts';
import { NetworkStress } from './network-stress.ts';
import { workerPiRunner, workThreads } from './pi-runner.ts';
import { StressSupervisor } from './stress-supervisor.ts';
import type { StressEngine } from './types.ts';

/** The real adapters: cgroup files, worker threads, UDP. */
export function createDeps(env: NodeJS.ProcessEnv): AppDeps {
  const reader = new FsCgroupReader({ sysRoot: env.CGROUP_ROOT, procRoot: env.PROC_ROOT });
  const meter = createCpuMeter(reader);
  const clock = realClock;
  const sink = parseNetworkSink(env.NETWORK_SINK);
  const node = env.NODE_NAME || 'unknown';
  const engines: StressEngine[] = [new CpuStress({ clock, meter }), new MemoryStress({ clock, holder: standbyHolders(workerMemoryHolder, 8, 3000) })];
  if (sink.ok) engines.push(new NetworkStress({ clock, sink: sink.sink }));
  return {
    supervisor: new StressSupervisor(engines),
    sampler: new MetricsSampler({ reader, meter, clock }),
    memoryLimit: () => memoryLimit(reader),
    sink,
    servedBy: hostname(),
    node,
    clock,
    lifecycle: { shuttingDown: false },
    pi: workerPiRunner(workThreads(env)),
    logger: { level: env.LOG_LEVEL ?? 'info', base: { component: 'web-stress', node, container: hostname() } },
  };
}

export interface RunningServer {
  app: FastifyInstance;
  address: string;
  /** /health → 503 at once, stress stopped, in-flight requests finished, listener closed. */
  shutdown(reason: string): Promise<void>;
}

export function parsePort(value: string | undefined): number {
  const port = Number(value ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT is ${JSON.stringify(value)}, expected an integer from 0 to 65535`);
  }
  return port;
}

/** How long shutdown may take, from env; see the README's Shutdown section. */
export interface ShutdownTimings {
  /** Keep serving with /health failing, so a load balancer takes the task out before its listener closes. */
  drainMs: number;
  /** Longest wait, after the drain, for responses still being sent. */
  inflightMs: number;
  /** main.ts exits with 1 if shutdown has not finished by then. */
  hardExitMs: number;
}

function envMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`${name} is ${JSON.stringify(value)}, expected an integer number of milliseconds ≥ 0`);
  return ms;
}

/** The margin of the hard exit over drain + in-flight wait: closing fastify and stopping stress (~70 ms) with room. */
export const HARD_EXIT_MARGIN_MS = 3000;

export function shutdownTimings(env: NodeJS.ProcessEnv): ShutdownTimings {
  const drainMs = envMs(env, 'SHUTDOWN_DRAIN_MS', 0);
  const inflightMs = envMs(env, 'SHUTDOWN_INFLIGHT_MS', 5000);
  return { drainMs, inflightMs, hardExitMs: envMs(env, 'SHUTDOWN_TIMEOUT_MS', drainMs + inflightMs + HARD_EXIT_MARGIN_MS) };
}

export async function startServer(env: NodeJS.ProcessEnv = process.env, deps: AppDeps = createDeps(env)): Promise<RunningServer> {
  const port = parsePort(env.PORT);
  const { drainMs, inflightMs } = shutdownTimings(env);
  const lifecycle: Lifecycle = deps.lifecycle;
  const app = buildApp(deps);
  const inflight = new InflightResponses();
  app.addHook('onRequest', async (_request, reply) => {
    inflight.track(reply.raw);
    // From SIGTERM on, every answer ends its connection: a keep-alive client (a load balancer's
    // pool) reconnects for its next request instead of meeting the close of an idle connection.
    if (lifecycle.shuttingDown) reply.header('connection', 'close');
  });
  const address = await app.listen({ port, host: env.HOST ?? '0.0.0.0' });
  deps.pi.start();
  let closing: Promise<void> | null = null;
  const shutdown = (reason: string) => {
    closing ??= (async () => {
      lifecycle.shuttingDown = true;
      app.log.info({ reason, drainMs }, 'shutting down');
      // Stress stops while the listener closes, not before it: ending a memory worker takes ~70 ms,
      // and swarm counts the old task of a migration as gone (T6) only when the process has exited.
      const stopping = deps.supervisor.stopAll().then((stopped) => {
        if (stopped.length > 0) app.log.info({ stopped: stopped.map((s) => s.kind) }, 'stress stopped for shutdown');
      });
      // Keep serving (with /health failing) until the load balancer has noticed: closing the
      // listener earlier refuses the requests it still routes here.
      if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      if (!(await inflight.whenIdle(inflightMs))) {
        app.log.warn({ inflight: inflight.size, waitedMs: inflightMs }, 'closing with responses still in flight');
      }
      // Keep-alive connections opened before SIGTERM and idle since would hold close() open for
      // fastify's keepAliveTimeout (72 s), past Docker's stop grace period. Node's close() closes
      // them too; said here because the exit on time depends on it.
      app.server.closeIdleConnections();
      await Promise.all([app.close(), stopping]);
      await deps.pi.close();
    })();
    return closing;
  };
  return { app, address, shutdown };
}
