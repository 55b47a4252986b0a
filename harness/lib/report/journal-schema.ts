import { z } from 'zod';

const finite = z.number().finite();
const epochMs = finite.positive();
const phase = z.enum(['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6']);

export const clockOffsetSchema = z.object({
  node: z.string().min(1),
  offsetMs: finite,
  uncertaintyMs: finite.nonnegative(),
  rttMs: finite.nonnegative(),
  samples: z.number().int().positive(),
});

export const timingEventSchema = z.looseObject({
  component: z.string(),
  node: z.string(),
  event: z.string(),
  phase: phase.optional(),
  t: finite,
  service: z.string().optional(),
  alertId: z.string().optional(),
  actionId: z.string().optional(),
});

export const sloVerdictSchema = z.looseObject({
  name: z.string().min(1),
  limit: finite.nullable(),
  value: finite.nullable(),
  pass: z.boolean().nullable(),
  metric: z.string().optional(),
  op: z.enum(['<', '<=', '==', '>']).optional(),
  description: z.string().optional(),
  reason: z.string().optional(),
});

const jitterSchema = z.object({ meanMs: finite, p95Ms: finite, maxMs: finite, skipped: z.number().int().nonnegative() });

/** One probe source's numbers (control or a load generator); journals from before remote probes have none. */
export const probeSourceSummarySchema = z.object({
  samples: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  downtimeMs: finite.nonnegative(),
  jitter: jitterSchema,
  clockOffsetMs: finite.optional(),
  clockUncertaintyMs: finite.nonnegative().optional(),
  clock: z.string().optional(),
});

export const probeSummarySchema = z.looseObject({
  samples: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  downtimeMs: finite.nonnegative(),
  jitter: jitterSchema.optional(),
  sources: z.record(z.string().min(1), probeSourceSummarySchema).optional(),
});

/** Whether the iteration's figures reached the time-series store (best effort: a store that is down is noted, not fatal). */
export const storeNoteSchema = z.object({
  measurement: z.string().min(1),
  url: z.string().min(1),
  written: z.boolean(),
  error: z.string().optional(),
});

const managerCountsSchema = z.object({ accepted: z.number().int(), actions: z.record(z.string(), z.number().int()) });

export const managerCountsCheckSchema = z.object({
  metrics: managerCountsSchema.nullable(),
  journal: managerCountsSchema,
  match: z.boolean().nullable(),
  note: z.string().optional(),
});

export const iterationSchema = z.object({
  experiment: z.string().min(1),
  iteration: z.number().int().positive(),
  params: z.record(z.string(), z.unknown()),
  startedAt: epochMs,
  endedAt: epochMs,
  events: z.array(timingEventSchema),
  probes: z.object({ summary: probeSummarySchema, samplesFile: z.string().optional() }),
  /** passed: all SLOs held; failed: an SLO failed; error: the iteration could not be completed. */
  outcome: z.enum(['passed', 'failed', 'error']),
  error: z.string().optional(),
  measurements: z.record(z.string(), finite.nullable()),
  slo: z.array(sloVerdictSchema),
  /** The write of the iteration's test_results point; absent in journals from before it was written. */
  store: storeNoteSchema.optional(),
  /** The manager's /metrics counters over the iteration against the manager events kept above; absent in older journals. */
  managerCounts: managerCountsCheckSchema.optional(),
  /** Instants to mark on charts (T0–T6 on the control clock, the baseline's kill …). */
  marks: z.array(z.object({ label: z.string().min(1), t: epochMs })).optional(),
  series: z
    .object({
      replicas: z.array(z.object({ t: epochMs, replicas: z.number().int().nonnegative() })).optional(),
      containers: z
        .array(z.object({ t: epochMs, container: z.string(), node: z.string().optional(), cpu: finite, memMb: finite, rxMbps: finite, txMbps: finite }))
        .optional(),
    })
    .optional(),
});

export const reliabilitySchema = z.looseObject({
  name: z.string().min(1),
  trials: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  notes: z.string().optional(),
});

export const metaSchema = z.looseObject({
  gitCommit: z.string().min(1),
  versions: z.record(z.string(), z.string()),
  lab: z.string().min(1),
  configHash: z.string().min(1),
  /** ISO 8601 UTC. */
  startedAt: z.string().datetime(),
  endedAt: z.string().datetime().optional(),
  clockOffsets: z.array(clockOffsetSchema).optional(),
  /**
   * What the entrypoint's balancer retried on the clients' behalf (none, conn-failure, all): failed
   * requests and downtime are measured under it. Absent in journals from before it was recorded.
   */
  entrypointRetries: z.enum(['none', 'conn-failure', 'all']).optional(),
  /** How long a task kept serving after SIGTERM while its health check failed. */
  drainMs: finite.nonnegative().optional(),
  /** The application path the availability probes asked for. */
  probePath: z.string().startsWith('/').optional(),
  /** host → how the harness reached it (Docker endpoint kind and address; SSH for load generators). */
  transports: z.record(z.string(), z.string()).optional(),
});

export const journalSchema = z.object({
  runId: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z-[0-9a-f]{7,}$/, 'a run id like 2026-11-22T19-05-00Z-1a2b3c4'),
  meta: metaSchema,
  iterations: z.array(iterationSchema),
  reliability: z.array(reliabilitySchema).optional(),
});

export type JournalData = z.infer<typeof journalSchema>;
export type JournalMeta = z.infer<typeof metaSchema>;
export type IterationRecord = z.infer<typeof iterationSchema>;
export type SloVerdictRecord = z.infer<typeof sloVerdictSchema>;
export type ReliabilityRecord = z.infer<typeof reliabilitySchema>;
export type StoreNote = z.infer<typeof storeNoteSchema>;
