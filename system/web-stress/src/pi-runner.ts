import { Worker } from 'node:worker_threads';
import { computePi } from './pi.ts';

/**
 * Where the CPU work of /compute/pi and /api/work runs. Off the event loop in the container, so that
 * /health and /ping answer within a CPU period even while work requests queue: a replica driven past
 * its quota (a scale-up still on its way, a busy host) is slow at work, not dead to its load
 * balancer and its healthcheck. Killing it for queueing would turn a slow replica into an outage.
 */
export interface PiRunner {
  compute(iterations: number): Promise<number>;
  /** Requests waiting for or in the worker. */
  readonly pending: number;
  /** Threads running (0 until started). */
  readonly threads: number;
  /** Starts the threads now rather than with the first request. */
  start(): void;
  close(): Promise<void>;
}

/** On the calling thread: for unit tests, where the event loop is not under test. */
export function inlinePiRunner(): PiRunner {
  let pending = 0;
  return {
    async compute(iterations) {
      pending++;
      try {
        return computePi(iterations);
      } finally {
        pending--;
      }
    },
    get pending() {
      return pending;
    },
    threads: 0,
    start() {},
    async close() {},
  };
}

// Inline source, so the bundle needs no second file; computePi is self-contained, so its own text
// is the worker's function.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const computePi = ${computePi.toString()};
parentPort.on('message', (job) => parentPort.postMessage({ id: job.id, pi: computePi(job.iterations) }));
`;

interface Job {
  id: number;
  iterations: number;
  resolve: (pi: number) => void;
  reject: (err: Error) => void;
}

/**
 * `threads` workers, each computing one request at a time, first come first served. One thread
 * keeps the throughput of a single-threaded server (at most one core), which the traffic
 * calibration measures; more let a replica with a limit above one CPU use it.
 */
export function workerPiRunner(threads: number): PiRunner {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`work threads: ${threads}, expected an integer ≥ 1`);
  const queue: Job[] = [];
  const busy = new Map<Worker, Job>();
  const idle: Worker[] = [];
  let nextId = 0;
  let closed = false;

  const spawn = (): void => {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (msg: { id: number; pi: number }) => {
      const job = busy.get(worker);
      busy.delete(worker);
      if (job && job.id === msg.id) job.resolve(msg.pi);
      idle.push(worker);
      dispatch();
    });
    // A worker that dies fails only the request it held; a fresh one takes its place.
    const lost = (err: Error): void => {
      const job = busy.get(worker);
      busy.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      job?.reject(err);
      if (!closed) {
        spawn();
        dispatch();
      }
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (busy.has(worker) || idle.includes(worker)) lost(new Error(`work thread exited with code ${code}`));
    });
    idle.push(worker);
  };

  const dispatch = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      busy.set(worker, job);
      worker.postMessage({ id: job.id, iterations: job.iterations });
    }
  };

  // A thread's start is 70–110 ms of CPU (measured in a web-stress container). Started with the
  // process, before it listens, it delayed a new replica's first healthcheck under 0.25 CPU
  // (scale-ups of 5.0 and 5.3 s); started with the first work request, it was a breach of 80 % of
  // 0.25 CPU for two samples long after the start, and the manager migrated the replica. The server
  // starts the threads once it listens (start()): inside the manager's startup grace, beside the
  // first healthcheck rather than before it.
  let started = false;
  const start = (): void => {
    if (started || closed) return;
    started = true;
    for (let i = 0; i < threads; i++) spawn();
  };
  return {
    start,
    compute(iterations) {
      if (closed) return Promise.reject(new Error('work threads closed'));
      start();
      return new Promise<number>((resolve, reject) => {
        queue.push({ id: nextId++, iterations, resolve, reject });
        dispatch();
      });
    },
    get pending() {
      return queue.length + busy.size;
    },
    get threads() {
      return idle.length + busy.size;
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('work threads closed'));
      const workers = [...idle, ...busy.keys()];
      idle.length = 0;
      for (const job of busy.values()) job.reject(new Error('work threads closed'));
      busy.clear();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** WORK_THREADS from env: the number of work threads, default 1. */
export function workThreads(env: NodeJS.ProcessEnv): number {
  const value = env.WORK_THREADS;
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`WORK_THREADS is ${JSON.stringify(value)}, expected an integer from 1 to 64`);
  return n;
}
