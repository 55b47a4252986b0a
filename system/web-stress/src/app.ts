import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Clock } from './clock.ts';
import type { MemoryLimit, MetricsSampler } from './metrics-sampler.ts';
import { SinkUnavailableError, type SinkConfig } from './network-sink.ts';
import {
  CPU_TARGET, DURATION, ITERATIONS, KB, NETWORK_TARGET, RAMP, ParamError, memoryBound, parseQuery,
} from './params.ts';
import type { PiRunner } from './pi-runner.ts';
import type { StressSupervisor } from './stress-supervisor.ts';
import type { StressKind, StressStatus } from './types.ts';

/** Shared with the server: set on SIGTERM, after which /health answers 503. */
export interface Lifecycle {
  shuttingDown: boolean;
}

export interface AppDeps {
  supervisor: StressSupervisor;
  sampler: MetricsSampler;
  memoryLimit: () => MemoryLimit;
  sink: SinkConfig;
  /** Container id (os.hostname() in a container). */
  servedBy: string;
  /** Swarm node hostname (env NODE_NAME). */
  node: string;
  clock: Clock;
  lifecycle: Lifecycle;
  /** Runs the CPU work of /compute/pi and /api/work (off the event loop in the container). */
  pi: PiRunner;
  logger?: FastifyServerOptions['logger'];
}

const MB = 1024 * 1024;
const DATA_PATTERN = Buffer.alloc(64 * 1024, 'web-stress ');

export function buildApp(deps: AppDeps): FastifyInstance {
  const { supervisor, sampler, clock, lifecycle } = deps;
  const startedAt = clock.now();
  const app = Fastify({
    logger: deps.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-served-by', deps.servedBy).header('x-node', deps.node);
  });

  // Stress changes are rare and matter when reading an experiment's logs; other requests are not logged.
  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/stress/')) request.log.info({ url: request.url, status: reply.statusCode }, 'stress request');
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ParamError) {
      return reply.code(400).send({ error: error.message, parameter: error.parameter, allowed: error.allowed });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  const memory = (min: number) => {
    const limit = deps.memoryLimit();
    return memoryBound(limit.bytes / MB, limit.source, min);
  };
  const requireSink = () => {
    if (!deps.sink.ok) throw new SinkUnavailableError(`network stress unavailable: ${deps.sink.reason}`);
  };
  const started = (result: { started: StressStatus; replaced: StressStatus | null }) => ({
    status: 'started',
    stress: result.started,
    replaced: result.replaced,
  });

  app.get('/health', async (_request, reply) => {
    const uptime = Math.round((clock.now() - startedAt) / 10) / 100;
    if (lifecycle.shuttingDown) return reply.code(503).send({ status: 'shutting_down', uptime });
    return { status: 'healthy', uptime };
  });

  // The probes' path: cheap (no sampling, no I/O) and, unlike /health, still 200 during a drain, so a
  // failed probe means the request really found no server.
  app.get('/ping', async () => ({ ok: true }));

  app.get('/metrics', async () => ({ ...sampler.sample(), active_stress: supervisor.active() }));

  app.get('/stress/cpu', async (request) => {
    const q = parseQuery(request.query, { target: CPU_TARGET, duration: DURATION, ramp: RAMP });
    return started(await supervisor.start('cpu', { target: q.target, durationS: q.duration, rampS: q.ramp }));
  });

  app.get('/stress/memory', async (request) => {
    const q = parseQuery(request.query, { target: memory(1), duration: DURATION, ramp: RAMP });
    return started(await supervisor.start('memory', { target: q.target, durationS: q.duration, rampS: q.ramp }));
  });

  app.get('/stress/network', async (request) => {
    const q = parseQuery(request.query, { bandwidth: NETWORK_TARGET, duration: DURATION, ramp: RAMP });
    requireSink();
    return started(await supervisor.start('network', { target: q.bandwidth, durationS: q.duration, rampS: q.ramp }));
  });

  // The three targets describe the whole load wanted: a kind given as 0 is stopped if running.
  app.get('/stress/combined', async (request) => {
    const q = parseQuery(request.query, {
      cpu: { ...CPU_TARGET, default: 0 },
      memory: { ...memory(0), default: 0 },
      network: { ...NETWORK_TARGET, default: 0 },
      duration: DURATION,
      ramp: RAMP,
    });
    if (q.cpu <= 0 && q.memory <= 0 && q.network <= 0) {
      throw new ParamError('cpu,memory,network', 'at least one above 0', 'cpu, memory, network: all 0, expected at least one above 0');
    }
    if (q.network > 0) requireSink();
    const apply = async (kind: StressKind, target: number) =>
      target > 0
        ? { kind, start: await supervisor.start(kind, { target, durationS: q.duration, rampS: q.ramp }) }
        : { kind, stopped: await supervisor.stop(kind) };
    // network first: the only one that can fail (sink host not resolving), before anything started
    const network = await apply('network', q.network);
    const results = [...(await Promise.all([apply('cpu', q.cpu), apply('memory', q.memory)])), network];
    return {
      status: 'started',
      stress: results.flatMap((r) => (r.start ? [r.start.started] : [])),
      replaced: results.flatMap((r) => (r.start?.replaced ? [r.start.replaced] : [])),
      stopped: results.flatMap((r) => (r.stopped ? [r.stopped] : [])),
    };
  });

  app.get('/stress/stop', async () => ({ status: 'stopped', stopped: await supervisor.stopAll() }));

  app.get('/compute/pi', async (request) => {
    const { iterations } = parseQuery(request.query, { iterations: ITERATIONS });
    const t0 = performance.now();
    const pi = await deps.pi.compute(iterations);
    return { pi, iterations, duration_ms: Math.round((performance.now() - t0) * 100) / 100 };
  });

  app.get('/api/data', async (request, reply) => {
    const { kb } = parseQuery(request.query, { kb: KB });
    return reply.type('application/octet-stream').send(payload(kb));
  });

  // An API call's traffic in one request: CPU work, then an answer of kb KiB. A replica busy with
  // these is CPU-busy and network-heavy at once, in the same proportion whatever the balancer sends it.
  app.get('/api/work', async (request, reply) => {
    const { iterations, kb } = parseQuery(request.query, { iterations: ITERATIONS, kb: KB });
    const t0 = performance.now();
    await deps.pi.compute(iterations);
    // from arrival to the end of the work: the wait for a work thread included
    reply.header('x-work-ms', String(Math.round((performance.now() - t0) * 100) / 100));
    return reply.type('application/octet-stream').send(payload(kb));
  });

  return app;
}

function payload(kb: number): Buffer {
  const body = Buffer.allocUnsafe(kb * 1024);
  for (let at = 0; at < body.length; at += DATA_PATTERN.length) DATA_PATTERN.copy(body, at);
  return body;
}
