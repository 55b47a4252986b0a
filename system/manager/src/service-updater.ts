import type { Clock } from './clock.ts';
import { isOutOfSequence, type ServiceInfo, type ServiceSpec, type SwarmPort } from './swarm-port.ts';

export interface UpdateOutcome {
  service: ServiceInfo;
  spec: ServiceSpec;
  attempts: number;
}

export class UpdateError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * Inspect → change → update with the inspected `Version.Index`. When swarm answers
 * `update out of sequence` (the service changed in between, for instance swarm's own update status
 * bumped the version), the whole cycle repeats from a fresh inspect, at most `attempts` times, so a
 * change such as `ForceUpdate += 1` is applied exactly once to the newest spec.
 * `mutate` returns null when there is nothing to change; it may throw to abort.
 */
export async function updateWithRetry(
  port: SwarmPort,
  clock: Clock,
  service: string,
  mutate: (spec: ServiceSpec, current: ServiceInfo) => ServiceSpec | null,
  options: { attempts: number; beforeFirstCall?: () => void; onRetry?: (attempt: number, error: Error) => void },
): Promise<UpdateOutcome | null> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    const current = await port.inspectService(service);
    const spec = mutate(structuredClone(current.spec), current);
    if (spec === null) return null;
    if (attempt === 1) options.beforeFirstCall?.();
    try {
      await port.updateService(current.id, current.version, spec);
      return { service: current, spec, attempts: attempt };
    } catch (error) {
      lastError = error as Error;
      if (!isOutOfSequence(error)) {
        throw new UpdateError(`update of ${service} failed on attempt ${attempt}: ${lastError.message}`, attempt, lastError);
      }
      if (attempt < options.attempts) {
        options.onRetry?.(attempt, lastError);
        await clock.sleep(20 * attempt);
      }
    }
  }
  throw new UpdateError(
    `update of ${service} still out of sequence after ${options.attempts} attempts: ${lastError?.message ?? ''}`,
    options.attempts,
  );
}
