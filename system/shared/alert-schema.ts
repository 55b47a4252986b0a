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
