import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { LabConfigError, parseLab } from '../../config/lab-config.ts';
import { alertSchema } from '../../../../system/shared/alert-schema.ts';
import { fuzzLabYaml } from './lab-yaml-fuzz.ts';
import { handWrittenRequests, randomRequests, type PayloadTarget } from './manager-payloads.ts';
import { mapLimit, Prng } from './prng.ts';
import { swarmChanges } from './swarm-snapshot.ts';
import { badQueries, pauseAfter } from './web-stress-bad-input.ts';
import { queryDuty } from './bad-input.ts';
import { dockerTime } from './agent-restart.ts';
import { victimOf } from './node-failure.ts';

const target: PayloadTarget = {
  token: 'secret-token-123',
  service: 'web-stress',
  task: { id: 'task0000000000000000000001', node: 'worker-1', containerId: 'abcdef0123456789'.repeat(4) },
  otherNode: 'worker-2',
  nodes: ['manager', 'worker-1', 'worker-2', 'worker-3'],
  bodyLimit: 16_384,
};

describe('reliability building blocks', () => {
  it('the PRNG repeats itself for a seed and differs between seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new Prng(43).next()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('mapLimit keeps the order and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (x) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('random manager payloads are reproducible, exactly N, and never name the live container', () => {
    const now = 1_795_000_000_000;
    const one = randomRequests(target, 7, 500, now);
    expect(one).toHaveLength(500);
    expect(randomRequests(target, 7, 500, now).map((r) => r.body)).toEqual(one.map((r) => r.body));
    for (const r of one) {
      expect(String(r.body)).not.toContain(target.task.containerId.slice(0, 12));
      // an alert the schema accepts must be expected as ignored, never as acted on
      if (r.path === '/alert' && typeof r.body === 'string' && 'status' in r.expect && r.expect.status === 400) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(r.body);
        } catch {
          continue;
        }
        expect(alertSchema.safeParse(parsed).success).toBe(false);
      }
    }
  });

  it('hand-written cases cover every category of bad input', () => {
    const labels = new Set(handWrittenRequests({ ...target, oldTask: { id: 'old', node: 'worker-3', containerId: 'ff'.repeat(32) } }).map((r) => r.label));
    for (const l of ['unauthenticated', 'wrong-token', 'malformed-json', 'wrong-types', 'oversized', 'unknown-service', 'unknown-node', 'stale-alert']) expect(labels).toContain(l);
  });

  it('bad web-stress queries each carry one bad parameter', () => {
    const qs = badQueries(3, 200);
    expect(qs).toHaveLength(200);
    for (const q of qs) expect(q.parameter.length).toBeGreaterThan(0);
  });

  it('bad queries are paced so the app is busy at most a fifth of its CPU limit', () => {
    // busy 2 ms, then idle 18 ms: 10 % of one core, 20 % of a 0.5-CPU limit
    expect(queryDuty(0.5)).toBeCloseTo(0.1);
    expect(pauseAfter(2, queryDuty(0.5))).toBeCloseTo(18);
    expect(queryDuty(0.25)).toBeCloseTo(0.05);
    expect(queryDuty(8)).toBe(1);
    expect(pauseAfter(-1, 0.5)).toBe(0);
    expect(() => pauseAfter(1, 0)).toThrow(/duty/);
  });

  it('random lab.yaml mutations either parse or fail with a LabConfigError that says where', () => {
    const tally = fuzzLabYaml(readFileSync('lab.yaml', 'utf8'), 11, 150);
    expect(tally.tried).toBe(150);
    expect(tally.rejected).toBeGreaterThan(0);
    expect(tally.unexpected).toEqual([]);
  });

  it('a bad key that is not a plain word is quoted in the error, so the line still says where', () => {
    // found by the suite's fuzzer (seed 7002): a tab inserted into a key of probe_from_by_experiment
    const doc = parseYaml(readFileSync('lab.yaml', 'utf8')) as { experiments: { probe_from_by_experiment: Record<string, unknown> } };
    doc.experiments.probe_from_by_experiment['concur\trent'] = ['control'];
    let err: unknown;
    try {
      parseLab(stringify(doc), 'fuzzed.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabConfigError);
    expect((err as Error).message).toContain('experiments.probe_from_by_experiment["concur\\trent"]: got ["control"], ');
  });

  it('swarmChanges names each difference', () => {
    const a = { services: { w: 1 }, tasks: { w: ['t1'] }, nodes: { n: 'ready/active' } };
    expect(swarmChanges(a, a)).toEqual([]);
    expect(swarmChanges(a, { services: { w: 2 }, tasks: { w: ['t2'] }, nodes: { n: 'down/active' } })).toHaveLength(3);
  });

  it('dockerTime keeps the sub-millisecond part of a Docker timestamp', () => {
    expect(dockerTime('2026-11-22T19:05:00.123456789Z')).toBeCloseTo(Date.parse('2026-11-22T19:05:00Z') + 123.456789, 5);
    expect(() => dockerTime('yesterday')).toThrow(/Docker timestamp/);
  });

  it("node-failure's victim: the task's node, or each worker in turn, never the task's node for another node", () => {
    const workers = ['worker-1', 'worker-2', 'worker-3'];
    expect(victimOf(workers, 'worker-2', 1, 'task-node')).toBe('worker-2');
    expect([1, 2, 3, 4].map((i) => victimOf(workers, 'worker-2', i, 'other-node'))).toEqual(['worker-1', 'worker-3', 'worker-3', 'worker-1']);
  });
});
