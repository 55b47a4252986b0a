import http from 'node:http';
import https from 'node:https';
import { summarize } from '../report/stats.ts';
import type { JitterReport, ProbeSample } from '../config/types.ts';

export interface ProbeOptions {
  url: string;
  /** Time between planned sends (default 100 ms). */
  intervalMs?: number;
  /** Per-request timeout (default 1000 ms); a timed-out request is a failure with status 0. */
  timeoutMs?: number;
  /** The probe stops sending after this long (bounded: at most 6 h). */
  durationMs: number;
  onSample?: (sample: ProbeSample) => void;
}

export interface ProbeResult {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  startedAt: number;
  endedAt: number;
  samples: ProbeSample[];
  jitter: JitterReport;
}

const MAX_DURATION_MS = 6 * 3600_000;
const epochNow = (): number => performance.timeOrigin + performance.now();

function header(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

/**
 * One GET. A fresh connection per request (agent: false, Connection: close): a pooled keep-alive
 * socket would hide a dead backend behind a stale connection or notice it later than a new client
 * would; every probe must see the entrypoint exactly as a new client does.
 */
export function probeOnce(url: URL, timeoutMs: number): Promise<Omit<ProbeSample, 'seq'>> {
  const sentAt = epochNow();
  const started = performance.now();
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number, res: http.IncomingMessage | null, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        sentAt,
        status,
        ok: status >= 200 && status < 300,
        latencyMs: performance.now() - started,
        servedBy: header(res?.headers['x-served-by']),
        node: header(res?.headers['x-node']),
        ...(error ? { error } : {}),
      });
    };
    const req = client.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => finish(res.statusCode ?? 0, res));
      res.on('error', (err) => finish(0, res, err.message));
    });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => finish(0, null, (err as NodeJS.ErrnoException).code ?? err.message));
  });
}

/**
 * HTTP availability probe: one GET every intervalMs on a fixed schedule (planned send times do not
 * drift; a slow request never delays the next send), for at most durationMs or until stop().
 */
export class AvailabilityProbe {
  readonly url: URL;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly durationMs: number;
  private readonly samples: ProbeSample[] = [];
  private readonly lateness: number[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private skipped = 0;
  private seq = 0;
  private slot = 0;
  private timer: NodeJS.Timeout | undefined;
  private startPerf = 0;
  private startedAt = 0;
  private stopping = false;
  private result: Promise<ProbeResult> | undefined;
  private finishScheduling: (() => void) | undefined;

  constructor(private readonly options: ProbeOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`probe url must be http(s), got ${options.url}`);
    this.intervalMs = options.intervalMs ?? 100;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.durationMs = options.durationMs;
    if (!(this.intervalMs >= 5)) throw new Error(`probe intervalMs must be >= 5, got ${this.intervalMs}`);
    if (!(this.timeoutMs >= 1)) throw new Error(`probe timeoutMs must be >= 1, got ${this.timeoutMs}`);
    if (!(this.durationMs > 0 && this.durationMs <= MAX_DURATION_MS)) {
      throw new Error(`probe durationMs must be in (0, ${MAX_DURATION_MS}], got ${this.durationMs}`);
    }
  }

  /** Starts sending; resolves with all samples once the duration is over (or stop()) and every request settled. */
  start(): Promise<ProbeResult> {
    if (this.result) return this.result;
    this.startPerf = performance.now();
    this.startedAt = epochNow();
    const scheduled = new Promise<void>((resolve) => (this.finishScheduling = resolve));
    this.result = scheduled.then(() => this.collect());
    this.tick();
    return this.result;
  }

  /** Samples so far (completed requests), in send order. */
  snapshot(): ProbeSample[] {
    return [...this.samples].sort((a, b) => a.seq - b.seq);
  }

  async stop(): Promise<ProbeResult> {
    const result = this.start();
    this.stopping = true;
    clearTimeout(this.timer);
    this.finishScheduling?.();
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private planned(slot: number): number {
    return this.startPerf + slot * this.intervalMs;
  }

  private tick(): void {
    if (this.stopping) return;
    const now = performance.now();
    let late = now - this.planned(this.slot);
    if (late >= this.intervalMs) {
      // the event loop was blocked: drop the missed slots rather than send a burst
      const missed = Math.floor(late / this.intervalMs);
      this.skipped += missed;
      this.slot += missed;
      late = now - this.planned(this.slot);
    }
    if (this.slot * this.intervalMs >= this.durationMs) return this.finishScheduling?.();
    this.lateness.push(Math.max(0, late));
    this.send(this.seq++);
    this.slot += 1;
    if (this.slot * this.intervalMs >= this.durationMs) return this.finishScheduling?.();
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.planned(this.slot) - performance.now()));
  }

  private send(seq: number): void {
    const p = probeOnce(this.url, this.timeoutMs).then((s) => {
      const sample = { seq, ...s };
      this.samples.push(sample);
      this.options.onSample?.(sample);
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async collect(): Promise<ProbeResult> {
    await Promise.all([...this.inFlight]); // each is bounded by timeoutMs
    const j = summarize(this.lateness);
    return {
      url: this.url.href,
      intervalMs: this.intervalMs,
      timeoutMs: this.timeoutMs,
      startedAt: this.startedAt,
      endedAt: epochNow(),
      samples: this.snapshot(),
      jitter: { meanMs: j.mean ?? 0, p95Ms: j.p95 ?? 0, maxMs: j.max ?? 0, skipped: this.skipped },
    };
  }
}
