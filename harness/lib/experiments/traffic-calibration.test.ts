import { describe, expect, it } from 'vitest';
import { calibrationKey } from './traffic-calibration.ts';

const opts = {
  url: 'http://10.210.0.1:8080',
  metricsUrl: 'http://10.210.0.12:8080/metrics',
  limitCpus: 0.5,
  targets: { cpuPct: 88, networkPct: 90, replicas: 3, linkMbps: 100, cpuThreshold: 75, networkThresholdMin: 65, networkThresholdMax: 35, maxReplicas: 3 },
  limits: [0.5, 0.25],
};

describe('calibrationKey', () => {
  it('is one measurement for any node of a local lab, whose nodes share the host', () => {
    expect(calibrationKey({ kind: 'local' }, 'worker-1', opts)).toBe(calibrationKey({ kind: 'local' }, 'worker-3', { ...opts, metricsUrl: 'http://10.210.0.14:8080/metrics' }));
  });

  it('tells the nodes of a remote lab apart: a Raspberry Pi is not a server', () => {
    expect(calibrationKey({ kind: 'remote' }, 'pi-1', opts)).not.toBe(calibrationKey({ kind: 'remote' }, 'big-1', opts));
    expect(calibrationKey({ kind: 'remote' }, 'pi-1', opts)).toBe(calibrationKey({ kind: 'remote' }, 'pi-1', opts));
  });

  it('is another measurement at another limit, target, URL or extra load', () => {
    const base = calibrationKey({ kind: 'local' }, 'worker-1', opts);
    for (const other of [
      { ...opts, limitCpus: 1 },
      { ...opts, limits: [0.5] },
      { ...opts, targets: { ...opts.targets, replicas: 2 } },
      { ...opts, url: 'http://10.210.0.1:8082' },
      { ...opts, otherCoresPerLimitCpu: 0.9 },
    ]) {
      expect(calibrationKey({ kind: 'local' }, 'worker-1', other)).not.toBe(base);
    }
  });
});
