import { describe, expect, it } from 'vitest';
import { reportSchema, type Report } from './alert-schema.ts';
import { isReport, parseReport } from './parse-report.ts';

const metrics = { cpu: 12.5, mem: 40, mem_mb: 256, net: 3.2, rx: 1.6, tx: 1.6 };
const entry = (i: number) => ({ service: `svc-${i}`, container: `${i.toString(16).padStart(12, '0')}`, task: `task${i}`, m: { ...metrics } });
const valid = (): Report => ({ node: 'worker-1', t: 1_800_000_000_000.5, containers: [entry(1), entry(2), entry(3)] });

type Json = Record<string, unknown>;

/** Values to put in place of a field: each kind of wrong type, the bounds and one past them. */
const replacements: unknown[] = [
  undefined, null, true, 0, -0, -1, 0.5, 100, 100.01, 128, 1000, 100_000, 100_001, 1_000_000, 1_000_001, 10_000_000, 10_000_001,
  '', 'x', 'worker 1', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(128), 'a'.repeat(129), 'abcdef012345', 'ABCDEF012345', 'abcdef01234',
  'f'.repeat(64), 'f'.repeat(65), 'née', '12', [], {}, [1], { cpu: 1 },
];

/** The valid report with one field changed, deleted or added, at every level. */
function* mutations(): Generator<{ what: string; value: unknown }> {
  const paths: string[][] = [[], ['containers', '1'], ['containers', '1', 'm']];
  for (const path of paths) {
    const keys = Object.keys(path.reduce<Json>((o, k) => o[k] as Json, valid() as unknown as Json));
    for (const key of [...keys, 'extra']) {
      for (const replacement of replacements) {
        const value = valid() as unknown as Json;
        const target = path.reduce<Json>((o, k) => o[k] as Json, value);
        if (replacement === undefined) delete target[key];
        else target[key] = replacement;
        yield { what: `${[...path, key].join('.')} = ${JSON.stringify(replacement) ?? 'deleted'}`, value };
      }
    }
  }
  yield { what: 'not an object', value: 'hi' };
  yield { what: 'an array', value: [valid()] };
  yield { what: 'an entry that is an array', value: { ...valid(), containers: [[entry(1)]] } };
  yield { what: '1,000 containers', value: { ...valid(), containers: Array.from({ length: 1000 }, (_, i) => entry(i)) } };
  yield { what: '1,001 containers', value: { ...valid(), containers: Array.from({ length: 1001 }, (_, i) => entry(i)) } };
  yield { what: 'an inherited key', value: Object.assign(Object.create({ inherited: 1 }) as Json, valid()) };
  yield { what: '__proto__ as a key (JSON.parse makes it an own key)', value: JSON.parse(`{"__proto__":{},${JSON.stringify(valid()).slice(1)}`) };
}

describe('isReport', () => {
  it('accepts a valid report', () => {
    expect(isReport(valid())).toBe(true);
    expect(isReport({ ...valid(), containers: [] })).toBe(true);
  });

  it('agrees with reportSchema on every mutation of a valid report', () => {
    let rejected = 0;
    for (const { what, value } of mutations()) {
      const zod = reportSchema.safeParse(value).success;
      expect(isReport(value), what).toBe(zod);
      if (!zod) rejected += 1;
    }
    expect(rejected).toBeGreaterThan(200);
  });
});

describe('parseReport', () => {
  it('passes a valid report on as it is, equal to what zod makes of it', () => {
    const report = valid();
    const parsed = parseReport(report);
    expect(parsed.success && parsed.data).toBe(report);
    expect(report).toEqual(reportSchema.parse(report));
  });

  it("fails with zod's error for an invalid one", () => {
    const parsed = parseReport({ ...valid(), t: -1 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['t']);
  });
});
