import type { Report } from '../../shared/alert-schema.ts';
import type { EventLogger } from '../../shared/event-logger.ts';
import { PostError, type HttpPoster } from './http-poster.ts';
import { StateLatch } from '../../shared/state-latch.ts';
import type { ReportSink } from './types.ts';

/** Logs a report path's failures and recoveries once per change, whichever way reports travel. */
export function reportLatch(events: EventLogger): StateLatch {
  return new StateLatch(({ ok, reason, failures }) =>
    ok ? events.event('report_recovered', { failures }) : events.event('report_failed', { reason }),
  );
}

/**
 * POSTs the per-cycle report to `${MANAGER_URL}/report`. No retry: the next cycle's report
 * supersedes it. At most one report is in flight; a cycle whose predecessor's report is still
 * pending skips its own, so a slow manager cannot pile up requests.
 */
export class HttpReportSink implements ReportSink {
  private inFlight: Promise<void> | null = null;
  private readonly latch: StateLatch;
  skipped = 0;

  constructor(
    private readonly poster: HttpPoster,
    events: EventLogger,
    private readonly timeoutMs = 1000,
  ) {
    this.latch = reportLatch(events);
  }

  send(report: Report): void {
    if (this.inFlight) {
      this.skipped += 1;
      return;
    }
    this.inFlight = this.post(JSON.stringify(report)).finally(() => {
      this.inFlight = null;
    });
  }

  private async post(body: string): Promise<void> {
    try {
      const res = await this.poster.post('/report', body, this.timeoutMs);
      if (res.status >= 200 && res.status < 300) this.latch.ok();
      else this.latch.fail(`HTTP ${res.status} ${res.body.slice(0, 200)}`.trim());
    } catch (err) {
      this.latch.fail(err instanceof PostError ? err.message : String(err));
    }
  }

  async close(): Promise<void> {
    await this.inFlight;
  }
}
