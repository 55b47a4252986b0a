import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { alertSchema, NDJSON, REPORT_STREAM_ROUTE } from '../../shared/alert-schema.ts';
import { parseReport } from '../../shared/parse-report.ts';
import { formatZodError } from '../../shared/zod-errors.ts';
import { bearerCheck } from './auth.ts';
import type { Clock } from './clock.ts';
import { drainRequest } from './drain.ts';
import { EXPOSITION_CONTENT_TYPE } from './exposition.ts';
import { HANDOFF_ROUTE, registerHandoffRoute } from './handoff-route.ts';
import type { RecoveryManager } from './recovery-manager.ts';
import { registerReportStream } from './report-stream.ts';
import type { ScaleDownLoop } from './scale-down-loop.ts';

export interface AppDeps {
  manager: RecoveryManager;
  clock: Clock;
  token: string;
  /** Largest accepted body in bytes; larger ones get 413 before being parsed. */
  bodyLimit?: number;
  scaleDown?: ScaleDownLoop;
}

declare module 'fastify' {
  interface FastifyRequest {
    arrivedAt: number;
  }
}

const eventsQuery = z.object({
  since: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected epoch milliseconds (a non-negative number)')
    .transform(Number)
    .optional(),
});

// The hand-off's answer makes an agent stop a container: it needs the token as much as an alert.
const PROTECTED = new Set(['/alert', '/report', REPORT_STREAM_ROUTE, HANDOFF_ROUTE]);

/** The manager's HTTP API (DESIGN.md §2.3), without listening: `server.ts` listens, tests inject. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { manager, clock, token } = deps;
  const events = manager.events;
  const bodyLimit = deps.bodyLimit ?? 16_384;
  const authorized = bearerCheck(token);
  const app = Fastify({ logger: false, bodyLimit });
  app.decorateRequest('arrivedAt', 0);

  // Authentication runs before the body is read or parsed: an unauthenticated caller costs nothing.
  app.addHook('onRequest', async (request, reply) => {
    request.arrivedAt = clock.now();
    const path = request.routeOptions.url;
    if (path !== undefined && PROTECTED.has(path) && !authorized(request.headers.authorization)) {
      events.event('request_rejected', { status: 401, path, remote: request.ip });
      await drainRequest(request.raw);
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
    }
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    let message = error.message;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `body larger than the limit of ${bodyLimit} bytes`;
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const expected = request.routeOptions.url === REPORT_STREAM_ROUTE ? NDJSON : 'application/json';
      message = `unsupported content-type ${JSON.stringify(request.headers['content-type'] ?? '')}, expected ${expected}`;
    }
    else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'empty body, expected a JSON object';
    else if (status === 400 && error instanceof SyntaxError) message = `body is not valid JSON: ${error.message}`;
    if (status >= 500) events.event('request_failed', { path: request.url, error: error.message });
    else events.event('request_rejected', { status, path: request.routeOptions.url ?? request.url, reason: message });
    if (status === 413) await drainRequest(request.raw);
    return reply.code(status).send({ error: status === 413 ? 'payload_too_large' : status >= 500 ? 'internal_error' : 'bad_request', message });
  });

  app.post('/alert', async (request, reply) => {
    const parsed = alertSchema.safeParse(request.body);
    if (!parsed.success) {
      const message = formatZodError(parsed.error, request.body);
      events.event('request_rejected', { status: 400, path: '/alert', reason: message });
      return reply.code(400).send({ error: 'bad_request', message });
    }
    const outcome = await manager.handleAlert(parsed.data, request.arrivedAt);
    return reply.code(202).send(outcome);
  });

  app.post('/report', async (request, reply) => {
    const parsed = parseReport(request.body);
    if (!parsed.success) {
      const message = formatZodError(parsed.error, request.body);
      events.event('request_rejected', { status: 400, path: '/report', reason: message });
      return reply.code(400).send({ error: 'bad_request', message });
    }
    const accepted = manager.handleReport(parsed.data, request.arrivedAt);
    return reply.code(202).send({ accepted });
  });

  registerReportStream(app, { events, handleColumns: (r, at) => manager.handleColumns(r, at), now: () => clock.now(), lineLimit: bodyLimit });
  registerHandoffRoute(app, manager.handoffs);

  app.get('/health', async () => ({ status: 'ok', component: 'manager', t: clock.now() }));

  // read-only counters and gauges, no secrets: unauthenticated like /health, so a Prometheus can scrape it
  app.get('/metrics', async (_request, reply) => reply.type(EXPOSITION_CONTENT_TYPE).send(manager.metricsText()));

  app.get('/state', async () => ({ ...manager.state(), scaleDown: deps.scaleDown?.statuses() ?? [] }));

  app.get('/events', async (request, reply) => {
    const parsed = eventsQuery.safeParse(request.query);
    if (!parsed.success) {
      return reply.code(400).send({ error: 'bad_request', message: formatZodError(parsed.error, request.query) });
    }
    return { events: events.since(parsed.data.since ?? 0) };
  });

  return app;
}
