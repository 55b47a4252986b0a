import { probeSources, type LabConfig } from '../config/lab-config.ts';
import { AvailabilityProbe } from './probe.ts';
import { RemoteProbe } from './remote-probe.ts';
import type { SourceProbe } from './probe-summary.ts';
import type { ProbeSample } from '../config/types.ts';

export interface ProbeSetOptions {
  /** Every probe stops by itself after this long. */
  durationMs: number;
  /** Names the experiment, for its own experiments.probe_from_by_experiment entry. */
  experiment?: string;
  /** Default: the lab's entrypoint + experiments.probe_path (never the health path, which fails during a drain). */
  url?: string;
  runId?: string;
  log?: (line: string) => void;
}

const REMOTE_POLL_MS = 1000;

/**
 * The experiments' availability probes: the control host's and, in parallel, one on each load
 * generator over SSH, as lab.yaml's experiments.probe_from says. stop() (idempotent; reached from a
 * `finally`) ends them all and returns each source's samples on the control clock.
 */
export class ProbeSet implements AsyncDisposable {
  private remoteSamples: ProbeSample[] = [];
  private remotePolledAt = 0;
  private result: Promise<SourceProbe[]> | undefined;

  private constructor(
    readonly control: AvailabilityProbe | undefined,
    readonly remote: RemoteProbe | undefined,
  ) {}

  static async start(lab: LabConfig, opts: ProbeSetOptions): Promise<ProbeSet> {
    const from = probeSources(lab, opts.experiment);
    const url = opts.url ?? `${lab.entrypoint}${lab.experiments.probe_path}`;
    const common = { url, intervalMs: lab.experiments.probe_interval_ms, timeoutMs: lab.experiments.probe_timeout_ms, durationMs: opts.durationMs };
    // the remote probes first: connecting and measuring clocks takes a moment, the control probe starts at once
    const remote = from.includes('load_generators') ? await RemoteProbe.start(lab, { ...common, runId: opts.runId, log: opts.log }) : undefined;
    const control = from.includes('control') ? new AvailabilityProbe(common) : undefined;
    void control?.start();
    return new ProbeSet(control, remote);
  }

  /** Names of the sources: 'control' and/or the load generators. */
  get sources(): string[] {
    return [...(this.control ? ['control'] : []), ...(this.remote?.generators ?? [])];
  }

  /** Samples so far from every source; the remote ones are fetched at most once a second. */
  async poll(): Promise<ProbeSample[]> {
    if (this.remote && Date.now() - this.remotePolledAt >= REMOTE_POLL_MS) {
      this.remotePolledAt = Date.now();
      this.remoteSamples = await this.remote.poll();
    }
    const control = (this.control?.snapshot() ?? []).map((s) => ({ ...s, source: 'control' }));
    return [...control, ...this.remoteSamples];
  }

  stop(): Promise<SourceProbe[]> {
    this.result ??= this.finish();
    return this.result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async finish(): Promise<SourceProbe[]> {
    const [control, remote] = await Promise.allSettled([this.control?.stop(), this.remote?.stop()]);
    if (control.status === 'rejected') throw control.reason;
    if (remote.status === 'rejected') throw remote.reason;
    const out: SourceProbe[] = [];
    if (control.value) out.push({ source: 'control', samples: control.value.samples.map((s) => ({ ...s, source: 'control' })), jitter: control.value.jitter });
    for (const r of remote.value ?? []) out.push({ source: r.source, samples: r.samples, jitter: r.jitter, clockOffset: r.clockOffset, ...(r.clock ? { clock: r.clock.name } : {}) });
    return out;
  }
}
