import { describe, expect, it, vi } from 'vitest';
import { standbyHolders, workerMemoryHolder } from '../src/memory-holder.ts';
import { MemoryStress } from '../src/memory-stress.ts';
import { FakeClock, FakeHolder, flush } from './fakes.ts';

function setup() {
  const clock = new FakeClock();
  const holders: FakeHolder[] = [];
  const engine = new MemoryStress({
    clock,
    holder: (chunkMb) => {
      const holder = new FakeHolder(chunkMb);
      holders.push(holder);
      return holder;
    },
  });
  return { clock, holders, engine };
}

describe('MemoryStress', () => {
  it('grows linearly to the target over the ramp, then holds', async () => {
    const { clock, holders, engine } = setup();
    await engine.start({ target: 200, rampS: 4, durationS: 10 });
    clock.advance(1000);
    expect(holders[0].grown.at(-1)).toBe(50);
    clock.advance(1000);
    expect(holders[0].grown.at(-1)).toBe(100);
    clock.advance(3000);
    expect(holders[0].grown.at(-1)).toBe(200);
    expect(engine.status()).toMatchObject({ phase: 'hold', level: 200, detail: { allocated_mb: 200, chunk_mb: 8 } });
  });

  it('releases at the end of the hold and keeps no timer', async () => {
    const { clock, holders, engine } = setup();
    await engine.start({ target: 64, rampS: 0, durationS: 3 });
    clock.advance(3000);
    await flush();
    expect(holders[0].released).toBe(true);
    expect(engine.status()).toBeNull();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a new start releases the old allocation before making a new one', async () => {
    const { holders, engine } = setup();
    await engine.start({ target: 300, rampS: 0, durationS: 60 });
    await engine.start({ target: 100, rampS: 0, durationS: 60 });
    expect(holders[0].released).toBe(true);
    expect(holders[1].grown).toEqual([100]);
  });

  it('stop releases at once', async () => {
    const { holders, engine, clock } = setup();
    await engine.start({ target: 100, rampS: 10, durationS: 60 });
    expect(await engine.stop()).toMatchObject({ kind: 'memory', target: 100, unit: 'MB' });
    expect(holders[0].released).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('workerMemoryHolder (real memory)', () => {
  const rssMb = () => process.memoryUsage().rss / 1024 / 1024;
  const until = async (what: string, ok: () => boolean, timeoutMs = 5000) => {
    const t0 = performance.now();
    while (!ok()) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`${what} not reached after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  // Rounds of different sizes in a row: freed blocks raise glibc's dynamic mmap threshold, and a
  // later round served from a malloc arena would stay resident after release.
  it('makes the memory resident in chunks and gives it back to the OS on every release', async () => {
    for (const mb of [48, 96, 96, 48]) {
      const holder = workerMemoryHolder(8);
      const before = rssMb();
      holder.growTo(20);
      holder.growTo(20.7); // fractions are ignored, a repeat is no new request
      holder.growTo(mb);
      await until(`${mb} MB allocated`, () => holder.allocatedMb() === mb);
      const held = rssMb();
      expect(held - before, `round of ${mb} MB`).toBeGreaterThan(mb - 5); // touched, not just reserved
      await holder.release();
      expect(holder.allocatedMb()).toBe(0);
      expect(rssMb(), `RSS after releasing ${mb} MB (held ${held.toFixed(0)} MB)`).toBeLessThan(held - mb + 15);
    }
  });
});

describe('standbyHolders', () => {
  it('hands out the holder made in advance and makes the next one only after release', async () => {
    const made: FakeHolder[] = [];
    const factory = standbyHolders((chunkMb) => made[made.push(new FakeHolder(chunkMb)) - 1], 8);
    expect(made).toHaveLength(1);
    const first = factory(8);
    first.growTo(16);
    expect(made).toHaveLength(1); // no second worker while the stress runs
    expect(made[0].grown).toEqual([16]);
    await first.release();
    expect(made[0].released).toBe(true);
    expect(made).toHaveLength(2);
    factory(8);
    expect(made).toHaveLength(2);
  });

  it('with a delay, makes the first standby only after it, and none while an early stress holds one', async () => {
    vi.useFakeTimers();
    try {
      const made: FakeHolder[] = [];
      standbyHolders((chunkMb) => made[made.push(new FakeHolder(chunkMb)) - 1], 8, 3000);
      expect(made).toHaveLength(0);
      vi.advanceTimersByTime(2999);
      expect(made).toHaveLength(0);
      vi.advanceTimersByTime(1);
      expect(made).toHaveLength(1);

      const early: FakeHolder[] = [];
      const earlyFactory = standbyHolders((chunkMb) => early[early.push(new FakeHolder(chunkMb)) - 1], 8, 3000);
      const held = earlyFactory(8); // a stress before the delay: its own holder
      expect(early).toHaveLength(1);
      vi.advanceTimersByTime(3000);
      expect(early).toHaveLength(1); // the timer made no standby beside the running stress
      await held.release();
      expect(early).toHaveLength(2); // the standby for the next stress
    } finally {
      vi.useRealTimers();
    }
  });
});
