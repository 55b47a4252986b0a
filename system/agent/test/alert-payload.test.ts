import { describe, expect, it } from 'vitest';
import { alertSchema } from '../../shared/alert-schema.ts';
import { alertId, buildAlert, MAX_ALERT_BYTES } from '../src/alert-payload.ts';
import { hexId, T_START } from './fakes.ts';

function alertFor(node: string, service: string) {
  return buildAlert({
    id: alertId(node, T_START + 123.456, 4711),
    node,
    container: { id: hexId(7), service, task: 'i4izajy8i2mmqx3nb5kyv2xbo', labels: {} },
    breach: { scenario: 'scenario2_scaling', t0: T_START + 123.456, count: 2, t: T_START + 1123.4 },
    t1: T_START + 1124.07,
    m: { cpu: 86.1234, mem: 31.28, mem_mb: 160.44, net: 99.99, rx: 543.21, tx: 456.789 },
  });
}

describe('alert payload (DESIGN.md §2.4)', () => {
  it('matches the shared alert schema, with a short container id and rounded values', () => {
    const alert = alertFor('worker-3', 'web-stress');
    expect(alertSchema.parse(alert)).toEqual(alert);
    expect(alert).toMatchObject({
      id: `worker-3:${T_START + 123}:4711`,
      t0: T_START + 123.5,
      t1: T_START + 1124.1,
      container: hexId(7).slice(0, 12),
      task: 'i4izajy8i2mmqx3nb5kyv2xbo',
      m: { cpu: 86.1, mem: 31.3, mem_mb: 160.4, net: 100, rx: 543.2, tx: 456.8 },
    });
  });

  it('stays under 500 bytes even with 63-character node and service names', () => {
    const typical = Buffer.byteLength(JSON.stringify(alertFor('worker-3', 'swarmguard-test_web-stress')));
    const longest = Buffer.byteLength(JSON.stringify(alertFor('n'.repeat(63), 's'.repeat(63))));
    expect(typical).toBeLessThan(320); // 303 bytes at the time of writing
    expect(longest).toBeLessThan(MAX_ALERT_BYTES); // about 450 bytes
  });
});
