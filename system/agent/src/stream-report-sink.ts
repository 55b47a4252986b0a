import type http from 'node:http';
import { NDJSON, REPORT_STREAM_ROUTE, type Report } from '../../shared/alert-schema.ts';
import type { EventLogger } from '../../shared/event-logger.ts';
import { toColumns } from '../../shared/parse-report.ts';
import type { StateLatch } from '../../shared/state-latch.ts';
import { HttpReportSink, reportLatch } from './http-report-sink.ts';
import type { HttpPoster } from './http-poster.ts';
import type { ReportSink } from './types.ts';

export interface StreamTiming {
  /** A stream is ended, and its counts read, after this long; the next report opens a new one. */
  rotateMs: number;
  /** How long an ended stream's answer may take before its connection is dropped. */
  answerTimeoutMs: number;
}

/**
 * 10 s is 20 reports a stream at the default 0.5 s poll, so the HTTP exchange is a twentieth of a
 * report's cost to the manager; a failed manager goes unnoticed for at most 12 s; and the socket the
 * previous stream used sits in the pool for alerts, well inside the manager's 72 s keep-alive.
 */
export const STREAM_TIMING: StreamTiming = { rotateMs: 10_000, answerTimeoutMs: 2_000 };

interface OpenStream {
  req: http.ClientRequest;
  openedAt: number;
  done: Promise<void>;
}

/**
 * Writes each cycle's report, in columns, as one line of a long POST to `/report/stream`, so the
 * manager pays for one HTTP exchange every `rotateMs` rather than one a report. The manager answers with its counts
 * when the stream ends (every `rotateMs`, when the next report opens a new one), or at once when it
 * refuses a line; either way the next report opens a new stream. A report that finds the stream's
 * buffer still full (a manager not reading) is skipped: the next cycle's supersedes it.
 *
 * A manager without the route (404: an older version, mid-upgrade) gets one POST /report a cycle.
 * Failures and recoveries are logged once per change, as for a plain POST.
 */
export class StreamReportSink implements ReportSink {
  private current: OpenStream | null = null;
  private readonly pending = new Set<Promise<void>>();
  private fallback: HttpReportSink | null = null;
  private readonly latch: StateLatch;
  skipped = 0;
  streams = 0;

  constructor(
    private readonly poster: HttpPoster,
    private readonly events: EventLogger,
    private readonly timing: StreamTiming = STREAM_TIMING,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.latch = reportLatch(events);
  }

  send(report: Report): void {
    if (this.fallback) return this.fallback.send(report);
    const now = this.now();
    if (this.current && now - this.current.openedAt >= this.timing.rotateMs) this.end(this.current);
    this.current ??= this.open(now);
    if (this.current.req.writableNeedDrain) {
      this.skipped += 1;
      return;
    }
    this.current.req.write(`${JSON.stringify(toColumns(report))}\n`);
  }

  private open(now: number): OpenStream {
    this.streams += 1;
    const req = this.poster.openStream(REPORT_STREAM_ROUTE, NDJSON);
    const stream: OpenStream = { req, openedAt: now, done: Promise.resolve() };
    stream.done = new Promise<void>((resolve) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          this.answered(stream, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
          resolve();
        });
        res.on('error', () => undefined); // reported through req's error
      });
      req.on('error', (err) => {
        this.forget(stream);
        this.latch.fail(`${this.poster.url(REPORT_STREAM_ROUTE).href}: ${err.message}`);
        resolve();
      });
      req.on('close', () => {
        this.forget(stream);
        resolve();
      });
    });
    this.pending.add(stream.done);
    void stream.done.finally(() => this.pending.delete(stream.done));
    return stream;
  }

  private answered(stream: OpenStream, status: number, body: string): void {
    this.forget(stream);
    if (status >= 200 && status < 300) this.latch.ok();
    else if (status === 404 && !this.fallback) {
      this.events.event('report_stream_unsupported', { status, fallback: 'one POST /report a cycle' });
      this.fallback = new HttpReportSink(this.poster, this.events);
    } else this.latch.fail(`HTTP ${status} ${body.slice(0, 200)}`.trim());
  }

  /** Ends the stream's body; its answer, or the timeout, settles it. */
  private end(stream: OpenStream): void {
    this.forget(stream);
    stream.req.end();
    const timer = setTimeout(() => {
      stream.req.destroy(new Error(`no answer within ${this.timing.answerTimeoutMs} ms of the stream's end`));
    }, this.timing.answerTimeoutMs);
    void stream.done.finally(() => clearTimeout(timer));
  }

  private forget(stream: OpenStream): void {
    if (this.current === stream) this.current = null;
  }

  async close(): Promise<void> {
    if (this.current) this.end(this.current);
    await Promise.all([...this.pending]);
    await this.fallback?.close();
  }
}
