import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatZodError } from '../../../system/shared/zod-errors.ts';
import {
  iterationSchema,
  journalSchema,
  type IterationRecord,
  type JournalData,
  type JournalMeta,
  type ReliabilityRecord,
} from './journal-schema.ts';
import { drainMs, swarmNodes, type LabConfig } from '../config/lab-config.ts';
import { nodeEndpoint } from '../remote/endpoint.ts';
import { formatProbeRows, parseProbeCsv, PROBE_CSV_HEADER, type ProbeRow } from './probe-csv.ts';
import type { ProbeSample } from '../config/types.ts';

export const JOURNAL_FILE = 'journal.json';
export const PROBES_FILE = 'probes.csv';

/** `2026-11-22T19-05-00Z-<7 hex>`: sortable by start time, unique through the hash of `seed`. */
export function makeRunId(startedAt: Date, seed: string): string {
  const stamp = startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
  return `${stamp}-${createHash('sha256').update(seed).digest('hex').slice(0, 7)}`;
}

/** Short content hash of a config (text as read, so a comment change is a different config). */
export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * The run metadata that says under what the availability figures were measured: a failed request
 * means something else behind a balancer that retries, a task that drains, or a probe of another path.
 */
/** Each swarm node's Docker endpoint as the harness reached it ("ssh", "tcp+tls", "unix"), and each load generator's SSH login. */
export function nodeTransports(lab: LabConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of swarmNodes(lab)) {
    const e = nodeEndpoint(lab, n);
    out[n.name] = e.kind === 'tcp' ? `${e.tls ? 'tcp+tls' : 'tcp'} ${e.host}:${e.port}` : e.kind === 'ssh' ? `ssh ${e.target.user}@${e.target.host}:${e.target.port}` : `unix ${e.path}`;
  }
  for (const g of lab.load_generators) out[g.name] = `ssh ${g.ssh.user}@${g.address}:${g.ssh.port} (load generator)`;
  return out;
}

export function measurementConditions(lab: LabConfig): Pick<JournalMeta, 'entrypointRetries' | 'drainMs' | 'probePath'> {
  return { entrypointRetries: lab.entrypoint_balancer.retries, drainMs: drainMs(lab), probePath: lab.experiments.probe_path };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file); // a reader (or a killed run) sees the old or the new file, never half of one
}

export interface ProbeBatch {
  source: string;
  samples: readonly ProbeSample[];
}

/**
 * The run's journal under `<rawDir>/<runId>/`: journal.json rewritten atomically after every
 * iteration, so a run killed half-way keeps every finished iteration, and probes.csv appended run-wide.
 */
export class Journal {
  private constructor(
    readonly dir: string,
    private readonly data: JournalData,
  ) {}

  /** Creates `<rawDir>/<runId>/`; fails if that run directory already exists. */
  static async create(rawDir: string, meta: JournalMeta, runId?: string): Promise<Journal> {
    const id = runId ?? makeRunId(new Date(meta.startedAt), `${meta.gitCommit}:${meta.configHash}:${randomBytes(8).toString('hex')}`);
    const dir = path.join(rawDir, id);
    await mkdir(rawDir, { recursive: true });
    await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' ? new Error(`run directory ${dir} already exists; a run id is never reused`) : err;
    });
    const journal = new Journal(dir, { runId: id, meta, iterations: [] });
    journalSchema.parse(journal.data); // a bad meta is the caller's bug: fail before any experiment runs
    await writeFile(path.join(dir, PROBES_FILE), `${PROBE_CSV_HEADER}\n`);
    await journal.save();
    return journal;
  }

  get runId(): string {
    return this.data.runId;
  }

  get iterations(): readonly IterationRecord[] {
    return this.data.iterations;
  }

  /** Appends the iteration's probe samples to probes.csv, then records the iteration in journal.json. */
  async addIteration(iteration: IterationRecord, probes: readonly ProbeBatch[] = []): Promise<void> {
    const checked = iterationSchema.safeParse(iteration);
    if (!checked.success) {
      const key = `iterations.${this.data.iterations.length}`;
      throw new Error(`iteration ${iteration.experiment} #${iteration.iteration} not recorded:\n${formatZodError(checked.error, iteration, key)}`);
    }
    const rows: ProbeRow[] = probes.flatMap((b) =>
      b.samples.map((s) => ({ ...s, experiment: iteration.experiment, iteration: iteration.iteration, source: b.source })),
    );
    if (rows.length > 0) await appendFile(path.join(this.dir, PROBES_FILE), formatProbeRows(rows));
    const record = rows.length > 0 ? { ...iteration, probes: { ...iteration.probes, samplesFile: PROBES_FILE } } : iteration;
    this.data.iterations.push(record);
    await this.save();
  }

  async setReliability(entries: readonly ReliabilityRecord[]): Promise<void> {
    this.data.reliability = [...entries];
    await this.save();
  }

  /** Records the run's end time (ISO) and further metadata such as clock offsets. */
  async updateMeta(patch: Partial<JournalMeta>): Promise<void> {
    Object.assign(this.data.meta, patch);
    await this.save();
  }

  toJSON(): JournalData {
    return structuredClone(this.data);
  }

  async save(): Promise<void> {
    const checked = journalSchema.safeParse(this.data);
    if (!checked.success) throw new Error(`journal of run ${this.data.runId} is invalid:\n${formatZodError(checked.error, this.data)}`);
    await writeAtomic(path.join(this.dir, JOURNAL_FILE), `${JSON.stringify(this.data, null, 2)}\n`);
  }
}

/** Reads and validates `<runDir>/journal.json`; errors name the file and the bad key. */
export async function loadJournal(runDir: string): Promise<JournalData> {
  const file = path.join(runDir, JOURNAL_FILE);
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = journalSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file} is not a valid journal:\n${formatZodError(parsed.error, raw)}`);
  return parsed.data;
}

/** The run's probe samples (empty when the run recorded none). */
export async function loadProbeRows(runDir: string): Promise<ProbeRow[]> {
  const file = path.join(runDir, PROBES_FILE);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return parseProbeCsv(text, file);
}
