import { columnReportSchema, reportSchema, type ColumnReport, type Report } from './alert-schema.ts';

/*
 * The manager receives a report of up to 1,000 containers from every agent each cycle, and zod's
 * check of one of 100 containers costs about as much as parsing its JSON. `isReport` checks the same
 * rules as `reportSchema` by hand, without building a copy of the body; zod still runs whenever the
 * hand check fails, so its answer (and its error message) is the one that counts. The unit test
 * compares the two on valid reports and on every kind of mutation of one.
 */

const NAME = /^[A-Za-z0-9_.:@-]+$/;
const HEX_ID = /^[0-9a-f]{12,64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const inRange = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * Enumerable keys, counted without allocating an array: with every expected key checked, an equal
 * count means no other key (`.strict()`). Inherited ones count too, so such an object goes to zod.
 */
function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n += 1;
  return n;
}

function isMetrics(m: unknown): boolean {
  return (
    isObject(m) &&
    keyCount(m) === 6 &&
    inRange(m.cpu, 0, 100) &&
    inRange(m.mem, 0, 100) &&
    inRange(m.mem_mb, 0, 10_000_000) &&
    inRange(m.net, 0, 100_000) &&
    inRange(m.rx, 0, 1_000_000) &&
    inRange(m.tx, 0, 1_000_000)
  );
}

function isEntry(e: unknown): boolean {
  return (
    isObject(e) &&
    keyCount(e) === 4 &&
    isString(e.service, 128) &&
    typeof e.container === 'string' &&
    HEX_ID.test(e.container) &&
    isString(e.task, 64) &&
    isMetrics(e.m)
  );
}

/** An object of exactly `keys` enumerable keys, with a report's `node`, `t`, and `list` an array of at most 1,000. */
function isReportHead(value: unknown, keys: number, list: string): value is Record<string, unknown> {
  if (!isObject(value) || keyCount(value) !== keys) return false;
  const { node, t } = value;
  if (!isString(node, 128) || node.length < 1 || !NAME.test(node)) return false;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) return false;
  const items = value[list];
  return Array.isArray(items) && items.length <= 1000;
}

/** True exactly when `reportSchema` accepts `value` as it is. */
export function isReport(value: unknown): value is Report {
  if (!isReportHead(value, 3, 'containers')) return false;
  for (const entry of value.containers as unknown[]) if (!isEntry(entry)) return false;
  return true;
}

/** `reportSchema.safeParse`, with a valid report (the usual case) recognised by hand and passed on as it is. */
export function parseReport(value: unknown): ReturnType<typeof reportSchema.safeParse> {
  if (isReport(value)) return { success: true, data: value };
  return reportSchema.safeParse(value);
}

const stringColumn = (v: unknown, n: number, max: number): boolean => {
  if (!Array.isArray(v) || v.length !== n) return false;
  for (const s of v) if (!isString(s, max)) return false;
  return true;
};

const numberColumn = (v: unknown, n: number, max: number): boolean => {
  if (!Array.isArray(v) || v.length !== n) return false;
  for (const x of v) if (!inRange(x, 0, max)) return false;
  return true;
};

/** True exactly when `columnReportSchema` accepts `value` as it is. */
export function isColumnReport(value: unknown): value is ColumnReport {
  if (!isReportHead(value, 11, 'container')) return false;
  const container = value.container as unknown[];
  const n = container.length;
  for (const c of container) if (typeof c !== 'string' || !HEX_ID.test(c)) return false;
  return (
    stringColumn(value.service, n, 128) &&
    stringColumn(value.task, n, 64) &&
    numberColumn(value.cpu, n, 100) &&
    numberColumn(value.mem, n, 100) &&
    numberColumn(value.mem_mb, n, 10_000_000) &&
    numberColumn(value.net, n, 100_000) &&
    numberColumn(value.rx, n, 1_000_000) &&
    numberColumn(value.tx, n, 1_000_000)
  );
}

/** `columnReportSchema.safeParse`, with a valid report recognised by hand and passed on as it is. */
export function parseColumnReport(value: unknown): ReturnType<typeof columnReportSchema.safeParse> {
  if (isColumnReport(value)) return { success: true, data: value };
  return columnReportSchema.safeParse(value);
}

/** A report's entries as columns (what an agent streams, and what the manager keeps). */
export function toColumns(report: Report): ColumnReport {
  const out: ColumnReport = { node: report.node, t: report.t, service: [], container: [], task: [], cpu: [], mem: [], mem_mb: [], net: [], rx: [], tx: [] };
  for (const { service, container, task, m } of report.containers) {
    out.service.push(service);
    out.container.push(container);
    out.task.push(task);
    out.cpu.push(m.cpu);
    out.mem.push(m.mem);
    out.mem_mb.push(m.mem_mb);
    out.net.push(m.net);
    out.rx.push(m.rx);
    out.tx.push(m.tx);
  }
  return out;
}
