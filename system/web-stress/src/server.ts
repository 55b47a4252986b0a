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

export async function startServer(env: NodeJS.ProcessEnv = process.env, deps: AppDeps = createDeps(env)): Promise<RunningServer> {
  const port = parsePort(env.PORT);
  const drainMs = Number(env.SHUTDOWN_DRAIN_MS ?? 0);
  const inflightMs = Number(env.SHUTDOWN_INFLIGHT_MS ?? 5000);
  const lifecycle: Lifecycle = deps.lifecycle;
  const app = buildApp(deps);
  const inflight = new InflightResponses();
  app.addHook('onRequest', async (_request, reply) => inflight.track(reply.raw));
  const address = await app.listen({ port, host: env.HOST ?? '0.0.0.0' });
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
      // Optional: keep serving (with /health failing) until a load balancer has noticed.
      if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      if (!(await inflight.whenIdle(inflightMs))) {
        app.log.warn({ inflight: inflight.size, waitedMs: inflightMs }, 'closing with responses still in flight');
      }
      await Promise.all([app.close(), stopping]);
    })();
    return closing;
  };
  return { app, address, shutdown };
}
