import { z } from 'zod';

const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/, 'letters, digits and _ . : @ - only');
const finite = z.number().finite();

export const metricsSchema = z
  .object({
    cpu: finite.min(0).max(100),
    mem: finite.min(0).max(100),
    mem_mb: finite.min(0).max(10_000_000),
    net: finite.min(0).max(100_000),
    rx: finite.min(0).max(1_000_000),
    tx: finite.min(0).max(1_000_000),
  })
  .strict();

/** Alert from an agent to the manager (DESIGN.md §2.4). Compact: < 500 bytes on the wire. */
export const alertSchema = z
  .object({
    id: z.string().min(1).max(160),
    t0: finite.positive(),
    t1: finite.positive(),
    node: name,
    service: name,
    container: z.string().regex(/^[0-9a-f]{12,64}$/, 'a hex container id'),
    task: z.string().max(64),
    scenario: z.enum(['scenario1_migration', 'scenario2_scaling']),
    m: metricsSchema,
  })
  .strict();

export type Alert = z.infer<typeof alertSchema>;

/** One container in an agent's per-cycle report. */
export const reportEntrySchema = z
  .object({
    service: z.string().max(128),
    container: z.string().regex(/^[0-9a-f]{12,64}$/, 'a hex container id'),
    task: z.string().max(64),
    m: metricsSchema,
  })
  .strict();

export const reportSchema = z
  .object({
    node: name,
    t: finite.positive(),
    containers: z.array(reportEntrySchema).max(1000),
  })
  .strict();

export type Report = z.infer<typeof reportSchema>;
export type ReportEntry = z.infer<typeof reportEntrySchema>;

/** The metric columns of a ColumnReport, in the order of `ContainerMetrics`. */
export const METRIC_COLUMNS = ['cpu', 'mem', 'mem_mb', 'net', 'rx', 'tx'] as const;
export const COLUMNS = ['service', 'container', 'task', ...METRIC_COLUMNS] as const;

const column = <T extends z.ZodType>(item: T) => z.array(item).max(1000);
const metric = metricsSchema.shape;

/**
 * The same report in columns: one array a field, a container's values at the same index in each.
 * This is what an agent streams (one a line): its keys are written once a report rather than once a
 * container, and parsing arrays of numbers makes no object a container, so the manager reads one of
 * 100 containers in about half the time of `reportSchema`'s form.
 */
export const columnReportSchema = z
  .object({
    node: name,
    t: finite.positive(),
    service: column(reportEntrySchema.shape.service),
    container: column(reportEntrySchema.shape.container),
    task: column(reportEntrySchema.shape.task),
    cpu: column(metric.cpu),
    mem: column(metric.mem),
    mem_mb: column(metric.mem_mb),
    net: column(metric.net),
    rx: column(metric.rx),
    tx: column(metric.tx),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const key of COLUMNS) {
      if (r[key].length !== r.container.length) ctx.addIssue({ code: 'custom', path: [key], message: `expected as many entries as container (${r.container.length})` });
    }
  });

export type ColumnReport = z.infer<typeof columnReportSchema>;

/** Where an agent streams its reports, one JSON report a line, on one long request (manager: report-stream.ts). */
export const REPORT_STREAM_ROUTE = '/report/stream';
export const NDJSON = 'application/x-ndjson';
