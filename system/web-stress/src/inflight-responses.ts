import type { ServerResponse } from 'node:http';

/**
 * Responses not yet flushed to the OS. Node's server.close() destroys connections whose response
 * was ended by the handler but is still buffered (a slow reader of /api/data), so shutdown waits
 * for this set to empty before closing.
 */
export class InflightResponses {
  private readonly open = new Set<ServerResponse>();
  private waiters: (() => void)[] = [];

  track(response: ServerResponse): void {
    this.open.add(response);
    const done = () => {
      this.open.delete(response);
      if (this.open.size === 0) this.wake();
    };
    response.once('finish', done);
    response.once('close', done);
  }

  get size(): number {
    return this.open.size;
  }

  /** true once nothing is in flight; false if that took longer than timeoutMs. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
