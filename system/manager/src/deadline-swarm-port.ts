import { nowMs } from '../../shared/event-logger.ts';
import type { NodeInfo, ServiceInfo, ServiceSpec, SwarmPort, TaskInfo } from './swarm-port.ts';

/** A Docker call that got no answer in time: which call, how long it was waited for, the limit. */
export class DeadlineError extends Error {
  constructor(
    readonly call: string,
    readonly waitedMs: number,
    readonly limitMs: number,
  ) {
    super(`docker call ${call} got no answer after ${waitedMs} ms (limit ${limitMs} ms)`);
    this.name = 'DeadlineError';
  }
}

/** The DeadlineError an error was caused by, if any (errors wrap their cause along the way). */
export function deadlineCause(error: unknown): DeadlineError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth += 1) {
    if (e instanceof DeadlineError) return e;
  }
  return undefined;
}

/**
 * Puts a deadline on every call of another SwarmPort. A dockerd that accepts the connection and
 * never answers would otherwise stall whatever awaits it for good: the inventory refresh, the
 * scale-down loop, and an action, which holds its service's lock until it ends. Past the deadline
 * the call rejects with a DeadlineError; the request itself is abandoned, not cancelled (its answer,
 * should it come, is ignored), so a deadlined update may still be applied later: the temporary
 * constraint it carries is then cleaned up like any left behind.
 */
export class DeadlineSwarmPort implements SwarmPort {
  constructor(
    private readonly inner: SwarmPort,
    private readonly limitMs: () => number,
    private readonly now: () => number = nowMs,
  ) {}

  private within<T>(call: string, run: () => Promise<T>): Promise<T> {
    const limit = this.limitMs();
    const started = this.now();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DeadlineError(call, Math.round(this.now() - started), limit)), limit);
      run().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }

  listServices(): Promise<ServiceInfo[]> {
    return this.within('listServices', () => this.inner.listServices());
  }

  inspectService(idOrName: string): Promise<ServiceInfo> {
    return this.within(`inspectService(${idOrName})`, () => this.inner.inspectService(idOrName));
  }

  updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    return this.within(`updateService(${spec.Name ?? id}, version ${version})`, () => this.inner.updateService(id, version, spec));
  }

  listTasks(service: string): Promise<TaskInfo[]> {
    return this.within(`listTasks(${service})`, () => this.inner.listTasks(service));
  }

  listNodes(): Promise<NodeInfo[]> {
    return this.within('listNodes', () => this.inner.listNodes());
  }
}
