/**
 * Child process of the scale benchmark: the real manager as `server.ts` wires it (configuration,
 * a deadline on every swarm call, scale-down loop, node watch, leftover sweep, HTTP API on
 * 127.0.0.1) over a simulated swarm, in a process of its own so that its CPU time and memory are
 * read apart from the client's. Its event lines go to stdout as in production. Tells the parent its
 * address over IPC, its memory when asked, and stops when told to.
 */
import { systemClock } from '../../../system/manager/src/clock.ts';
import { startServer } from '../../../system/manager/src/server.ts';
import { SimulatedSwarm, type SwarmTiming } from './simulated-swarm.ts';
import { buildLayout, type LayoutShape } from './swarm-layout.ts';

export interface ManagerChildStarted {
  kind: 'listening';
  address: string;
}

export interface ManagerChildMemory {
  kind: 'memory';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface ManagerChildStopped {
  kind: 'stopped';
  swarmCalls: number;
  swarmUpdates: number;
}

const shape = JSON.parse(process.env.SCALE_SHAPE ?? '') as LayoutShape;
const timing = JSON.parse(process.env.SCALE_TIMING ?? '') as SwarmTiming;
const swarm = new SimulatedSwarm(buildLayout(shape), systemClock, timing);
const running = await startServer(process.env, ['--host', '127.0.0.1', '--port', '0'], swarm);
process.send?.({ kind: 'listening', address: running.address } satisfies ManagerChildStarted);
// a parent that died (or gave up) must not leave a manager listening
process.on('disconnect', () => process.exit(1));
process.on('message', (message) => {
  if (message === 'memory') {
    // a collection first (node --expose-gc), so heapUsed is what the manager keeps, not garbage awaiting collection
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ kind: 'memory', ...process.memoryUsage() } satisfies ManagerChildMemory);
  }
  if (message !== 'stop') return;
  void running.stop().then(() => {
    const done: ManagerChildStopped = { kind: 'stopped', swarmCalls: swarm.calls, swarmUpdates: swarm.updates };
    process.send?.(done, () => process.exit(0));
  });
});
