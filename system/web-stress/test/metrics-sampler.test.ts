import { describe, expect, it } from 'vitest';
import { MetricsSampler, memoryLimit } from '../src/metrics-sampler.ts';
import { FakeClock, FakeMeter, FakeReader } from './fakes.ts';

const MB = 1024 * 1024;

function setup(limitCores = 0.5) {
  const clock = new FakeClock();
  const reader = new FakeReader();
  const meter = new FakeMeter(limitCores);
  const sampler = new MetricsSampler({ reader, meter, clock, hostMemoryBytes: 8192 * MB, processRss: () => 50 * MB });
  return { clock, reader, meter, sampler };
}

describe('MetricsSampler', () => {
  it('cpu_percent is the counter delta since the last call as a share of the limit', () => {
    const { clock, meter, sampler } = setup(0.5);
    clock.advance(1000);
    meter.micros += 400_000; // 0.4 s of CPU in 1 s on a 0.5 CPU limit
    expect(sampler.sample()).toMatchObject({ cpu_percent: 80, cpu_limit_cores: 0.5, cpu_source: 'cgroup', interval_s: 1 });
    clock.advance(2000);
    meter.micros += 100_000;
    expect(sampler.sample().cpu_percent).toBe(10);
  });

  it('memory is usage minus inactive_file, as a share of the limit', () => {
    const { reader, sampler } = setup();
    reader.mem = { usageBytes: 300 * MB, inactiveFileBytes: 44 * MB, limitBytes: 512 * MB };
    expect(sampler.sample()).toMatchObject({ memory_mb: 256, memory_limit_mb: 512, memory_percent: 50, memory_source: 'cgroup' });
  });

  it('falls back to host memory without a limit, and to RSS without a cgroup', () => {
    const { reader, sampler } = setup();
    reader.mem = { usageBytes: 1024 * MB, inactiveFileBytes: 0, limitBytes: null };
    expect(sampler.sample()).toMatchObject({ memory_mb: 1024, memory_limit_mb: 8192, memory_percent: 12.5 });
    reader.mem = null;
    expect(sampler.sample()).toMatchObject({ memory_mb: 50, memory_source: 'process' });
    expect(memoryLimit(reader, 123)).toEqual({ bytes: 123, source: 'host memory' });
  });

  it('network rx/tx Mbps from the interface counter deltas', () => {
    const { clock, reader, sampler } = setup();
    clock.advance(500);
    reader.net = { rxBytes: 1_250_000, txBytes: 2_500_000 }; // 10 and 20 Mbit in 0.5 s
    expect(sampler.sample()).toMatchObject({ network_rx_mbps: 20, network_tx_mbps: 40 });
  });

  it('keeps the last rates when called twice at the same instant', () => {
    const { clock, meter, sampler } = setup(1);
    clock.advance(1000);
    meter.micros += 250_000;
    sampler.sample();
    expect(sampler.sample().cpu_percent).toBe(25);
  });
});
