import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLogger } from '../../shared/event-logger.ts';
import { BufferedLineWriter, type BufferOptions, type LineSender } from '../src/buffered-line-writer.ts';
import { silent } from './helpers.ts';

/** An in-memory store: `mode` decides whether a send is taken, refused, or never answered. */
class FakeSender implements LineSender {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  readonly received: string[][] = [];
  attempts = 0;
  private readonly hung: (() => void)[] = [];

  async send(lines: readonly string[]): Promise<void> {
    this.attempts += 1;
    if (this.mode === 'fail') throw new Error('HTTP 500 disk full');
    if (this.mode === 'hang') await new Promise<void>((resolve) => this.hung.push(resolve));
    this.received.push([...lines]);
  }

  release(): void {
    for (const r of this.hung.splice(0)) r();
  }
}

const FAST: BufferOptions = { capacity: 5, batchLines: 2, retryMinMs: 10, retryMaxMs: 40 };
const writers: BufferedLineWriter[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close(50);
});

function make(options: BufferOptions = FAST) {
  const sender = new FakeSender();
  const events = new EventLogger('manager', 'manager-1', silent);
  const writer = new BufferedLineWriter(sender, events, { measurement: 'recovery_actions' }, options);
  writers.push(writer);
  return { sender, writer, named: (e: string) => events.since(0).filter((r) => r.event === e) };
}

describe('BufferedLineWriter', () => {
  it('returns before anything is sent, then sends in batches, in order', async () => {
    const { sender, writer } = make();
    writer.write(['a', 'b', 'c']);
    expect(sender.attempts).toBe(0);
    await vi.waitFor(() => expect(sender.received.flat()).toEqual(['a', 'b', 'c']));
    expect(sender.received).toEqual([['a', 'b'], ['c']]);
    expect(writer.stats()).toMatchObject({ queued: 0, dropped: 0, sent: 3, failing: false });
  });

  it('a full queue drops its oldest lines, counts them, and says so once per burst', async () => {
    const { sender, writer, named } = make();
    sender.mode = 'hang';
    writer.write(['1']); // taken by the hung send
    await vi.waitFor(() => expect(sender.attempts).toBe(1));
    for (let i = 2; i <= 9; i++) writer.write([String(i)]);
    expect(writer.stats()).toMatchObject({ queued: 5, dropped: 3 });
    expect(named('influx_buffer_full')).toHaveLength(1);
    sender.mode = 'ok';
    sender.release();
    await vi.waitFor(() => expect(writer.stats().queued).toBe(0));
    expect(sender.received.flat()).toEqual(['1', '5', '6', '7', '8', '9']);
    expect(named('influx_buffer_drained')).toEqual([expect.objectContaining({ droppedInBurst: 3, dropped: 3 })]);
  });

  it('an outage is logged once however many retries fail, the lines kept and sent once it ends', async () => {
    const { sender, writer, named } = make();
    sender.mode = 'fail';
    writer.write(['x', 'y']);
    await vi.waitFor(() => expect(sender.attempts).toBeGreaterThanOrEqual(4));
    expect(named('influx_write_failed')).toEqual([expect.objectContaining({ reason: 'HTTP 500 disk full', measurement: 'recovery_actions' })]);
    expect(writer.stats()).toMatchObject({ queued: 2, failing: true });
    sender.mode = 'ok';
    await vi.waitFor(() => expect(sender.received.flat()).toEqual(['x', 'y']));
    expect(named('influx_recovered')).toHaveLength(1);
    expect(named('influx_write_failed')).toHaveLength(1);
  });

  it('retries wait longer each time, up to the maximum', async () => {
    const { sender, writer } = make({ ...FAST, retryMinMs: 30, retryMaxMs: 60 });
    sender.mode = 'fail';
    const started = performance.now();
    writer.write(['x']);
    await vi.waitFor(() => expect(sender.attempts).toBe(4), { timeout: 2000 });
    // waits 30 + 60 + 60 ms between the four attempts
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('close() gives what is queued one bounded try and reports what is left', async () => {
    const { sender, writer, named } = make();
    sender.mode = 'hang';
    writer.write(['a']);
    const started = performance.now();
    await writer.close(100);
    expect(performance.now() - started).toBeLessThan(1000);
    writer.write(['late']);
    expect(writer.stats().dropped).toBe(1);
    expect(named('influx_unsent')).toHaveLength(0); // the hung send holds 'a', not the queue
    sender.release();
  });

  it('a failing store never throws into write()', () => {
    const { sender, writer } = make();
    sender.mode = 'fail';
    expect(() => {
      for (let i = 0; i < 100; i++) writer.write([`l${i}`]);
    }).not.toThrow();
  });
});
