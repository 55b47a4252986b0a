import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatZodError } from '../../shared/zod-errors.ts';
import type { Handoffs } from './handoff.ts';

/** Longest a question may wait: well under any client's or balancer's idle timeout. */
export const HANDOFF_MAX_WAIT_MS = 30_000;

const handoffQuery = z
  .object({
    wait_ms: z
      .string()
      .regex(/^\d+$/, 'expected whole milliseconds')
      .transform(Number)
      .refine((ms) => ms <= HANDOFF_MAX_WAIT_MS, `at most ${HANDOFF_MAX_WAIT_MS} ms`)
      .optional(),
  })
  .strict();

const actionIdParam = z.object({ actionId: z.string().regex(/^[\w.:-]{1,128}$/, 'expected an action id') });

export const HANDOFF_ROUTE = '/actions/:actionId/handoff';

/**
 * `GET /actions/{actionId}/handoff?wait_ms=`: the old node's agent asks when it may stop the task a
 * migration moves (handoff.ts). Held until swarm has ordered the old task to shut down with its
 * replacement ready (`release: true`), the action ends (`release: false` and why) or `wait_ms`
 * passes (`pending: true`: ask again). The bearer token is checked by app.ts's hook, as for alerts.
 */
export function registerHandoffRoute(app: FastifyInstance, handoffs: Handoffs): void {
  app.get(HANDOFF_ROUTE, async (request, reply) => {
    const params = actionIdParam.safeParse(request.params);
    if (!params.success) return reply.code(400).send({ error: 'bad_request', message: formatZodError(params.error, request.params) });
    const query = handoffQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'bad_request', message: formatZodError(query.error, request.query) });
    const waiting = handoffs.wait(params.data.actionId, query.data.wait_ms ?? 10_000);
    if (!waiting) {
      return reply.code(404).send({ error: 'not_found', message: `no migration with a hand-off has id ${params.data.actionId} (unknown, long over, or early_stop is off)` });
    }
    return reply.code(200).send(await waiting);
  });
}
