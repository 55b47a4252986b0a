import { buildApp, type AppDeps } from '../src/app.ts';
import { CpuStress } from '../src/cpu-stress.ts';
import { MemoryStress } from '../src/memory-stress.ts';
import { MetricsSampler } from '../src/metrics-sampler.ts';
import { parseNetworkSink, SinkUnavailableError } from '../src/network-sink.ts';
import { NetworkStress } from '../src/network-stress.ts';
import { inlinePiRunner } from '../src/pi-runner.ts';
import { StressSupervisor } from '../src/stress-supervisor.ts';
import type { StressEngine } from '../src/types.ts';
import { FakeClock, FakeHolder, FakeMeter, FakePool, FakeReader, FakeSender } from './fakes.ts';

const MB = 1024 * 1024;

/** The app with real engines over fake threads, memory, sockets, cgroup files and time. */
export function appFixture(
  options: { sink?: string; memoryLimitMb?: number | null; sinkFails?: boolean } = { sink: 'udp://sink.test:5001' },
) {
  const clock = new FakeClock();
  const reader = new FakeReader();
  reader.limitCores = 0.5;
  const limitMb = options.memoryLimitMb === undefined ? 512 : options.memoryLimitMb;
  reader.mem = { usageBytes: 40 * MB, inactiveFileBytes: 0, limitBytes: limitMb === null ? null : limitMb * MB };
  const meter = new FakeMeter(0.5);
  const pools: FakePool[] = [];
  const holders: FakeHolder[] = [];
  const senders: FakeSender[] = [];
  const sink = parseNetworkSink(options.sink);
  const engines: StressEngine[] = [
    new CpuStress({ clock, meter, pool: (threads, periodMs) => pools[pools.push(new FakePool(threads, periodMs)) - 1] }),
    new MemoryStress({ clock, holder: (chunkMb) => holders[holders.push(new FakeHolder(chunkMb)) - 1] }),
  ];
  if (sink.ok) {
    engines.push(new NetworkStress({ clock, sink: sink.sink, sender: async () => {
      if (options.sinkFails) throw new SinkUnavailableError('network stress unavailable: NETWORK_SINK host "sink.test" does not resolve');
      return senders[senders.push(new FakeSender()) - 1];
    } }));
  }
  const deps: AppDeps = {
    supervisor: new StressSupervisor(engines),
    sampler: new MetricsSampler({ reader, meter, clock, hostMemoryBytes: 4096 * MB }),
    memoryLimit: () => (reader.mem?.limitBytes ? { bytes: reader.mem.limitBytes, source: 'container memory limit' } : { bytes: 16384 * MB, source: 'host memory' }),
    sink,
    servedBy: '5e30b5e17ad4',
    node: 'worker-3',
    clock,
    lifecycle: { shuttingDown: false },
    pi: inlinePiRunner(),
  };
  return { app: buildApp(deps), deps, clock, reader, meter, pools, holders, senders };
}
