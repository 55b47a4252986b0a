import type { LabConfig } from '../config/lab-config.ts';
import { DockerLab } from '../cluster/docker-lab.ts';
import type { LabPort } from '../cluster/lab-port.ts';
import type { IterationRecord } from '../report/journal-schema.ts';
import type { ProbeBatch } from '../report/journal.ts';
import type { DowntimeSummary } from '../probe/downtime.ts';
import type { ProbeResult } from '../probe/probe.ts';

/** What every experiment iteration works with: the lab's configuration, the lab itself, a progress line writer. */
export interface ExperimentContext {
  lab: LabConfig;
  /** The swarm, each node's engine and the faults, local or remote alike. */
  cluster: LabPort;
  log: (line: string) => void;
  /** What this run has measured once and its later iterations may reuse, by what was measured. */
  measuredOnce: Map<string, unknown>;
}

export interface IterationResult {
  record: IterationRecord;
  probes: ProbeBatch[];
}

export function makeContext(lab: LabConfig, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): ExperimentContext {
  return { lab, cluster: new DockerLab(lab), log, measuredOnce: new Map() };
}

export const epochNow = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `outcome` and `error` of an iteration's record: passed when nothing went wrong. */
export function outcomeOf(error: string | undefined): { outcome: 'passed' | 'error'; error?: string } {
  return error ? { outcome: 'error', error } : { outcome: 'passed' };
}

/** The `probes` of an iteration's record that one probe (from the control host) watched. */
export function probeSummary(result: ProbeResult, down: DowntimeSummary): IterationRecord['probes'] {
  return { summary: { samples: result.samples.length, failed: down.failed, downtimeMs: down.downtimeMs, jitter: result.jitter } };
}
