import { Worker } from 'node:worker_threads';

/** Holds allocated, touched memory until released. */
export interface MemoryHolder {
  /** Grow to `mb` (never shrinks; a lower target needs a new holder). */
  growTo(mb: number): void;
  /** MB allocated and touched so far. */
  allocatedMb(): number;
  release(): Promise<void>;
}

export type MemoryHolderFactory = (chunkMb: number) => MemoryHolder;

// The memory lives in a worker: terminating it frees every backing store at once, without waiting
// for (or forcing) a garbage collection of the main isolate. It is reserved in blocks larger than
// glibc's largest dynamic mmap threshold (32 MB), so each block is its own mmap and goes back to
// the OS on free; smaller blocks may land in a malloc arena that never shrinks. A reserved block
// costs no RSS until its pages are touched, chunk by chunk, along the ramp.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const MB = 1024 * 1024;
const BLOCK_MB = 64;
const blocks = [];
let touched = 0;
parentPort.on('message', (targetMb) => {
  while (touched < targetMb) {
    const offsetMb = touched % BLOCK_MB;
    if (offsetMb === 0) blocks.push(Buffer.allocUnsafeSlow(BLOCK_MB * MB));
    const mb = Math.min(workerData.chunkMb, targetMb - touched, BLOCK_MB - offsetMb);
    blocks[blocks.length - 1].fill((touched % 251) + 1, offsetMb * MB, (offsetMb + mb) * MB);
    touched += mb;
    parentPort.postMessage(touched);
  }
});
`;

export const workerMemoryHolder: MemoryHolderFactory = (chunkMb) => {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { chunkMb } });
  let allocated = 0;
  let requested = 0;
  worker.on('message', (mb: number) => {
    allocated = mb;
  });
  worker.on('error', (error) => console.error('web-stress: memory worker failed:', error));
  worker.unref();
  return {
    growTo(mb) {
      const whole = Math.floor(mb);
      if (whole <= requested) return;
      requested = whole;
      worker.postMessage(whole);
    },
    allocatedMb: () => allocated,
    async release() {
      await worker.terminate();
      allocated = 0;
    },
  };
};

/**
 * Keeps one holder (an idle worker, no CPU) ready in advance and makes the next one after each
 * release, so a memory stress raises the container's memory by its target and not by the target
 * plus a worker's start-up footprint (≈ 8 MB, counted in the idle footprint instead).
 *
 * The first one is made `warmAfterMs` after start, not at once: a worker's isolate costs ≈ 100 ms
 * of CPU, and under a 0.5 CPU quota that delayed the app's first healthy answer by ≈ 200 ms
 * (measured: 765 → 563 ms median from process start). A stress that comes earlier makes its own.
 */
export function standbyHolders(factory: MemoryHolderFactory, chunkMb: number, warmAfterMs = 0): MemoryHolderFactory {
  let standby: MemoryHolder | null = null;
  let taken = false;
  const warm = () => {
    if (!taken) standby ??= factory(chunkMb);
  };
  if (warmAfterMs > 0) setTimeout(warm, warmAfterMs).unref();
  else warm();
  return (requestedChunkMb) => {
    const holder = standby && requestedChunkMb === chunkMb ? standby : factory(requestedChunkMb);
    standby = null;
    taken = true;
    return {
      growTo: (mb) => holder.growTo(mb),
      allocatedMb: () => holder.allocatedMb(),
      async release() {
        await holder.release();
        standby ??= factory(chunkMb);
      },
    };
  };
}
