import type { LabConfig } from '../config/lab-config.ts';
import { LoadGenerators } from '../load/load-generators.ts';
import { corrections } from '../events/clock-offset.ts';
import { measureGeneratorOffsets } from '../cluster/lab-clocks.ts';
import { renderRemoteProbeScript } from './remote-probe-script.ts';
import { parseRemoteProbeLog, parseRemoteProbeLogs, type RemoteProbeLog } from './remote-probe-log.ts';
import type { ClockOffset, ProbeSample } from '../config/types.ts';

export interface RemoteProbeOptions {
  url: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** Each generator's loop ends by itself after this long (and after durationMs / intervalMs sends). */
  durationMs: number;
  runId?: string;
  log?: (line: string) => void;
}

export interface RemoteSourceResult extends RemoteProbeLog {
  clockOffset: ClockOffset;
}

const STREAM = 'probe';

/**
 * The availability probe run from every load generator at once over SSH: measures each generator's
 * clock offset, uploads harness/lib/probe/remote-probe-script.ts's script and starts it; stop() asks the
 * scripts to finish (their requests in flight still log), waits for them (bounded), then kills
 * whatever is left and removes the files (LoadGenerators.stop), and returns each generator's
 * samples on the control clock with `source` = the generator's name.
 */
export class RemoteProbe implements AsyncDisposable {
  private result: Promise<RemoteSourceResult[]> | undefined;

  private constructor(
    private readonly gens: LoadGenerators,
    readonly offsets: ClockOffset[],
    readonly intervalMs: number,
    readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  static async start(lab: LabConfig, opts: RemoteProbeOptions): Promise<RemoteProbe> {
    const intervalMs = opts.intervalMs ?? 100;
    const timeoutMs = opts.timeoutMs ?? 1000;
    const plan = { url: opts.url, intervalMs, timeoutMs, durationMs: Math.ceil(opts.durationMs) };
    renderRemoteProbeScript(plan, { logFile: '/x', pidFile: '/x', stopFile: '/x' }); // bad options fail before any SSH
    const gens = await LoadGenerators.connect(lab, { runId: opts.runId ?? `probe-${Date.now().toString(36)}-${process.pid}`, log: opts.log });
    try {
      const offsets = await measureGeneratorOffsets(gens);
      await gens.start([{ name: STREAM, maxDurationS: Math.ceil(plan.durationMs / 1000), render: (files) => renderRemoteProbeScript(plan, files) }]);
      return new RemoteProbe(gens, offsets, intervalMs, timeoutMs, opts.log ?? ((l) => process.stderr.write(`${l}\n`)));
    } catch (err) {
      await gens.stop().catch((e: Error) => opts.log?.(`remote probe cleanup: ${e.message}`));
      throw err;
    }
  }

  get generators(): string[] {
    return this.gens.generators;
  }

  /** Samples logged so far on every generator (complete lines only), on the control clock. */
  async poll(): Promise<ProbeSample[]> {
    if (this.result) return (await this.result).flatMap((r) => r.samples);
    const c = corrections(this.offsets);
    const logs = await this.gens.poll();
    return logs.flatMap((l) => parseRemoteProbeLog(l.text, l.generator, c[l.generator] ?? 0).samples);
  }

  /** Ends the probes (idempotent) and returns each generator's result; throws when a generator recorded nothing. */
  stop(): Promise<RemoteSourceResult[]> {
    this.result ??= this.finish();
    return this.result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async finish(): Promise<RemoteSourceResult[]> {
    const outputs: Record<string, string> = {};
    try {
      await this.gens.requestFinish(STREAM);
      // a script sees the stop file within one interval; its last requests end within the timeout
      await this.gens.waitDone(this.intervalMs + this.timeoutMs + 3000, 250);
    } catch (err) {
      // handled: stop() below kills what still runs; the samples logged until then are kept
      this.log(`remote probe: ${(err as Error).message}; killing the scripts`);
    } finally {
      for (const g of this.gens.generators) {
        if (!this.gens.logs().some((l) => l.generator === g && l.text.includes('\t'))) {
          outputs[g] = await this.gens.scriptOutput(g, STREAM).catch((e: Error) => `(could not read it: ${e.message})`);
        }
      }
      await this.gens.stop(); // kills whatever still runs, also after a failed wait
    }
    const c = corrections(this.offsets);
    const order = this.gens.generators; // the lab's order, not the order the scripts happened to start in
    const logs = [...this.gens.logs()].sort((a, b) => order.indexOf(a.generator) - order.indexOf(b.generator));
    const parsed = parseRemoteProbeLogs(logs.map((l) => ({ generator: l.generator, text: l.text, output: outputs[l.generator] })), c);
    return parsed.map((p) => ({ ...p, clockOffset: this.offsets.find((o) => o.node === p.source)! }));
  }
}
