import { describe, expect, it } from 'vitest';
import { COLUMNS, columnReportSchema, METRIC_COLUMNS, reportSchema, type Report } from './alert-schema.ts';
import { isColumnReport, isReport, parseColumnReport, parseReport, toColumns } from './parse-report.ts';

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

describe('isColumnReport', () => {
  const columns = (): Json => toColumns(valid()) as unknown as Json;

  /** The valid columns with one field, or one entry of a column, changed, deleted or added. */
  function* columnMutations(): Generator<{ what: string; value: unknown }> {
    for (const key of [...Object.keys(columns()), 'extra']) {
      for (const replacement of replacements) {
        const whole = columns();
        if (replacement === undefined) delete whole[key];
        else whole[key] = replacement;
        yield { what: `${key} = ${JSON.stringify(replacement) ?? 'deleted'}`, value: whole };
        if (!Array.isArray(columns()[key])) continue;
        const entry = columns();
        (entry[key] as unknown[])[1] = replacement;
        yield { what: `${key}[1] = ${JSON.stringify(replacement) ?? 'undefined'}`, value: entry };
      }
    }
    for (const key of COLUMNS) {
      const shorter = columns();
      (shorter[key] as unknown[]).pop();
      yield { what: `${key} one entry short`, value: shorter };
    }
    const all = columns();
    for (const k of COLUMNS) (all[k] as unknown[]).pop();
    yield { what: 'every column one entry short', value: all };
    const many = (n: number) => toColumns({ ...valid(), containers: Array.from({ length: n }, (_, i) => entry(i)) });
    yield { what: '1,000 containers', value: many(1000) };
    yield { what: '1,001 containers', value: many(1001) };
    yield { what: 'an inherited key', value: Object.assign(Object.create({ inherited: 1 }) as Json, columns()) };
    yield { what: '__proto__ as a key', value: JSON.parse(`{"__proto__":{},${JSON.stringify(columns()).slice(1)}`) };
  }

  it('accepts the columns of a valid report, empty ones too', () => {
    expect(isColumnReport(columns())).toBe(true);
    expect(isColumnReport(toColumns({ ...valid(), containers: [] }))).toBe(true);
  });

  it('agrees with columnReportSchema on every mutation of valid columns', () => {
    let rejected = 0;
    for (const { what, value } of columnMutations()) {
      const zod = columnReportSchema.safeParse(value).success;
      expect(isColumnReport(value), what).toBe(zod);
      if (!zod) rejected += 1;
    }
    expect(rejected).toBeGreaterThan(300);
  });

  it("fails with zod's error, naming the column whose length differs", () => {
    const short = toColumns(valid());
    short.task.pop();
    const parsed = parseColumnReport(short);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toMatchObject([{ path: ['task'], message: 'expected as many entries as container (3)' }]);
  });

  it('toColumns keeps every value at its entry’s index', () => {
    const r = valid();
    const c = toColumns(r);
    r.containers.forEach((e, i) => {
      expect([c.service[i], c.container[i], c.task[i]]).toEqual([e.service, e.container, e.task]);
      expect(Object.fromEntries(METRIC_COLUMNS.map((k) => [k, c[k][i]]))).toEqual(e.m);
    });
  });
});
