import { Worker } from 'node:worker_threads';

/** Threads that each burn CPU for duty × period of every period. */
export interface CpuWorkerPool {
  readonly threads: number;
  /** 0–1, the same for every thread. */
  setDuty(duty: number): void;
  terminate(): Promise<void>;
}

export type CpuPoolFactory = (threads: number, periodMs: number) => CpuWorkerPool;

// Inline source, so the bundle needs no second file. Sleeping is Atomics.wait on the control word:
// no CPU while idle, and stop wakes the thread at once.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.shared);
const period = workerData.periodMs;
let x = 1;
while (Atomics.load(ctl, 1) === 0) {
  const start = performance.now();
  const busyMs = (Atomics.load(ctl, 0) / 1e6) * period;
  while (performance.now() - start < busyMs) {
    for (let i = 0; i < 2000; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  }
  const rest = period - (performance.now() - start);
  if (rest > 0) Atomics.wait(ctl, 1, 0, rest);
}
`;

const DUTY_SCALE = 1e6;

export const workerThreadPool: CpuPoolFactory = (threads, periodMs) => {
  // [0] duty × 1e6, [1] stop flag
  const shared = new SharedArrayBuffer(8);
  const ctl = new Int32Array(shared);
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { shared, periodMs } });
    worker.on('error', (error) => console.error('web-stress: cpu worker failed:', error));
    worker.unref();
    return worker;
  });
  return {
    threads,
    setDuty(duty) {
      Atomics.store(ctl, 0, Math.round(Math.min(1, Math.max(0, duty)) * DUTY_SCALE));
    },
    async terminate() {
      Atomics.store(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
};
