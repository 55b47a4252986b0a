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

// The chunks live in a worker: terminating it frees every backing store at once and the RSS goes
// back to idle without waiting for (or forcing) a garbage collection of the main isolate.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const MB = 1024 * 1024;
const chunks = [];
let allocated = 0;
parentPort.on('message', (targetMb) => {
  while (allocated < targetMb) {
    const mb = Math.min(workerData.chunkMb, targetMb - allocated);
    const chunk = Buffer.allocUnsafeSlow(mb * MB);
    chunk.fill((chunks.length % 251) + 1); // touch every page so it is resident
    chunks.push(chunk);
    allocated += mb;
    parentPort.postMessage(allocated);
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
