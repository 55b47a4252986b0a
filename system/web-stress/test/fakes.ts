import type { CgroupReader, MemoryReading, NetCounters } from '../src/cgroup-reader.ts';
import type { Clock, TimerHandle } from '../src/clock.ts';
import type { CpuMeter } from '../src/cpu-meter.ts';
import type { CpuWorkerPool } from '../src/cpu-worker-pool.ts';
import type { MemoryHolder } from '../src/memory-holder.ts';
import type { DatagramSender } from '../src/network-stress.ts';

/** Time moves only when a test calls advance(); intervals fire in order on the way. */
export class FakeClock implements Clock {
  private t = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { fn: () => void; ms: number; due: number }>();

  now(): number {
    return this.t;
  }

  epochMs(): number {
    return 1_800_000_000_000 + this.t;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { fn, ms, due: this.t + ms });
    return { id };
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle.id as number);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: { id: number; due: number } | null = null;
      for (const [id, timer] of this.timers) if (timer.due <= end && (!next || timer.due < next.due)) next = { id, due: timer.due };
      if (!next) break;
      const timer = this.timers.get(next.id)!;
      this.t = timer.due;
      timer.due += timer.ms;
      timer.fn();
    }
    this.t = end;
  }

  /** Jump without firing timers (an event loop that was blocked). */
  jump(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.values()) timer.due = Math.max(timer.due, this.t);
  }
}

export class FakeReader implements CgroupReader {
  version: 1 | 2 | null = 2;
  limitCores: number | null = null;
  usageMicros: number | null = 0;
  mem: MemoryReading | null = { usageBytes: 0, inactiveFileBytes: 0, limitBytes: null };
  net: NetCounters = { rxBytes: 0, txBytes: 0 };
  cpuLimitCores() {
    return this.limitCores;
  }
  cpuUsageMicros() {
    return this.usageMicros;
  }
  memory() {
    return this.mem;
  }
  netDev() {
    return this.net;
  }
}

/** A meter whose counter the test (or a simulated plant) moves. */
export class FakeMeter implements CpuMeter {
  source = 'cgroup' as const;
  micros = 0;
  constructor(public limitCores: number) {}
  usageMicros() {
    return this.micros;
  }
}

export class FakePool implements CpuWorkerPool {
  duties: number[] = [];
  terminated = false;
  constructor(readonly threads: number, readonly periodMs: number) {}
  setDuty(duty: number) {
    if (this.terminated) throw new Error('setDuty after terminate');
    this.duties.push(duty);
  }
  get duty() {
    return this.duties.at(-1) ?? 0;
  }
  async terminate() {
    this.terminated = true;
  }
}

export class FakeHolder implements MemoryHolder {
  grown: number[] = [];
  released = false;
  constructor(readonly chunkMb: number) {}
  growTo(mb: number) {
    this.grown.push(mb);
  }
  allocatedMb() {
    return Math.floor(this.grown.at(-1) ?? 0);
  }
  async release() {
    this.released = true;
  }
}

export class FakeSender implements DatagramSender {
  datagrams = 0;
  bytes = 0;
  closed = false;
  errors = 0;
  send(payload: Buffer) {
    if (this.closed) throw new Error('send after close');
    this.datagrams += 1;
    this.bytes += payload.length;
  }
  async close() {
    this.closed = true;
  }
}

/** Lets queued promise callbacks (engine start/stop/release) run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
