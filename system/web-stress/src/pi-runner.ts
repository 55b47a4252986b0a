import { leibnizSum } from './pi.ts';

/**
 * Runs the CPU work of /compute/pi and /api/work: one request at a time, first come first served,
 * in chunks with the event loop served between them. So /health and /ping answer within a chunk
 * (and a CPU period) even while work requests queue: a replica driven past its quota (a scale-up
 * still on its way, a busy host) is slow at work, not dead to its load balancer and healthcheck.
 * Not a worker thread: starting one costs tens of ms of CPU, which under a 0.25 CPU quota either
 * delays a new replica's first healthcheck or, started with the first request, looks like a CPU
 * breach to the agent (seen: 80 % for two samples, and the manager migrated the replica).
 */
export interface PiRunner {
  compute(iterations: number): Promise<number>;
  /** Requests waiting or being computed. */
  readonly pending: number;
  /** Fails what is still queued; refuses new work. */
  close(): void;
}

/** Iterations between two turns of the event loop: under 1 ms of CPU (on this lab 24.7 M cost 38 ms). */
export const CHUNK_ITERATIONS = 500_000;

interface Job {
  iterations: number;
  resolve: (pi: number) => void;
  reject: (err: Error) => void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function chunkedPiRunner(chunk = CHUNK_ITERATIONS): PiRunner {
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`chunk: ${chunk}, expected an integer ≥ 1`);
  const queue: Job[] = [];
  let running = false;
  let closed = false;

  const pump = async (): Promise<void> => {
    running = true;
    while (queue.length > 0 && !closed) {
      const job = queue[0];
      let sum = 0;
      for (let k = 0; k < job.iterations && !closed; k += chunk) {
        sum = leibnizSum(k, Math.min(job.iterations, k + chunk), sum);
        if (k + chunk < job.iterations) await nextTurn();
      }
      if (closed) break;
      queue.shift();
      job.resolve(4 * sum);
    }
    running = false;
  };

  return {
    compute(iterations) {
      if (closed) return Promise.reject(new Error('work runner closed'));
      return new Promise<number>((resolve, reject) => {
        queue.push({ iterations, resolve, reject });
        if (!running) void pump();
      });
    },
    get pending() {
      return queue.length;
    },
    close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('work runner closed'));
    },
  };
}
