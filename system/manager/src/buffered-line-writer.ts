import type { EventLogger } from '../../shared/event-logger.ts';
import { StateLatch } from '../../shared/state-latch.ts';

/** Sends one batch of line-protocol lines; rejects when the store did not take them. */
export interface LineSender {
  send(lines: readonly string[]): Promise<void>;
}

export interface BufferOptions {
  /** Lines waiting at most; past it the oldest go first (a recent action is worth more than an old one). */
  capacity: number;
  batchLines: number;
  retryMinMs: number;
  retryMaxMs: number;
}

/** Recovery actions come a few a minute: 1000 lines are hours of an outage, and a few hundred KB at most. */
export const ACTION_BUFFER_OPTIONS: BufferOptions = { capacity: 1000, batchLines: 100, retryMinMs: 1000, retryMaxMs: 30_000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Fire-and-forget writes to a time-series store: write() only appends to a bounded queue and
 * returns; one batch at a time goes out in the background, a failed batch goes back to the front
 * and is retried with a growing delay. A full queue drops its oldest lines and counts them. An
 * outage and an overflow are each logged once when they start and once when they end, never per
 * batch, and nothing is ever thrown to the writer's caller.
 */
export class BufferedLineWriter {
  private readonly queue: string[] = [];
  private draining?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private retryMs: number;
  private closed = false;
  private droppedTotal = 0;
  private sentTotal = 0;
  private readonly failing: StateLatch;
  private readonly overflow: StateLatch;

  constructor(
    private readonly sender: LineSender,
    private readonly events: EventLogger,
    private readonly what: Record<string, unknown>,
    private readonly options: BufferOptions = ACTION_BUFFER_OPTIONS,
  ) {
    this.retryMs = options.retryMinMs;
    this.failing = new StateLatch(({ ok, reason, failures }) =>
      ok
        ? events.event('influx_recovered', { ...what, failures, queued: this.queue.length, dropped: this.droppedTotal })
        : events.event('influx_write_failed', { ...what, reason, queued: this.queue.length }),
    );
    this.overflow = new StateLatch(({ ok, failures }) =>
      ok
        ? events.event('influx_buffer_drained', { ...what, droppedInBurst: failures, dropped: this.droppedTotal })
        : events.event('influx_buffer_full', { ...what, capacity: options.capacity, dropped: this.droppedTotal }),
    );
  }

  /** Appends and returns at once; whatever happens to the store happens later, elsewhere. */
  write(lines: readonly string[]): void {
    if (this.closed) {
      this.droppedTotal += lines.length;
      return;
    }
    this.queue.push(...lines);
    this.trim();
    this.kick();
  }

  stats(): { queued: number; dropped: number; sent: number; failing: boolean } {
    return { queued: this.queue.length, dropped: this.droppedTotal, sent: this.sentTotal, failing: this.failing.isFailing };
  }

  /**
   * One last attempt at what is queued, bounded by `limitMs`; what is left then is logged as unsent.
   * Later writes are dropped (and counted).
   */
  async close(limitMs = 2000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const last = (async () => {
      await this.draining;
      if (this.queue.length > 0) await this.drain();
    })();
    await Promise.race([last, sleep(limitMs)]);
    if (this.queue.length > 0) this.events.event('influx_unsent', { ...this.what, lines: this.queue.length, dropped: this.droppedTotal });
  }

  private trim(): void {
    const excess = this.queue.length - this.options.capacity;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.droppedTotal += excess;
    for (let i = 0; i < excess; i++) this.overflow.fail('queue full');
  }

  private kick(): void {
    if (this.draining || this.timer || this.queue.length === 0 || this.closed) return;
    // a macrotask later: nothing of the send (not even building the request) runs in the caller's turn
    this.draining = new Promise<void>((resolve) => setImmediate(() => resolve())).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.batchLines);
        try {
          await this.sender.send(batch);
        } catch (err) {
          // back to the front: the oldest lines, so they are the first to go if the queue is full
          this.queue.unshift(...batch);
          this.trim();
          this.failing.fail(err instanceof Error ? err.message : String(err));
          if (!this.closed) this.retryLater();
          return;
        }
        this.sentTotal += batch.length;
        this.retryMs = this.options.retryMinMs;
        this.failing.ok();
      }
      this.overflow.ok();
    } finally {
      this.draining = undefined;
    }
  }

  private retryLater(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.retryMaxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delay);
    // a pending retry must not keep a stopping process alive
    this.timer.unref();
  }
}
