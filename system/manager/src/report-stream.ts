import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { NDJSON, REPORT_STREAM_ROUTE, type ColumnReport } from '../../shared/alert-schema.ts';
import { parseColumnReport } from '../../shared/parse-report.ts';
import { formatZodError } from '../../shared/zod-errors.ts';
import type { ClockedEvents } from './clocked-events.ts';

/** A stream that sends nothing for this long is answered and closed: agents send every cycle. */
export const REPORT_STREAM_IDLE_MS = 30_000;

export interface StreamOutcome {
  /** Reports taken in, all of them before a refused line. */
  reports: number;
  /** Containers those reports carried. */
  accepted: number;
  /** Absent when the whole stream was taken in. */
  refused?: { status: 400 | 408 | 413 | 503; message: string };
}

/** Stops an ingestion from outside (the manager closing): it settles with `refused`. */
export type StopIngestion = (refused: NonNullable<StreamOutcome['refused']>) => void;

/**
 * Reads newline-delimited reports from `body` as they arrive and hands each valid one to `onReport`
 * (which answers how many containers it took). Stops at the first line that is not a valid report,
 * longer than `lineLimit` characters, or after `idleMs` with no data; what came before it is kept.
 */
export function ingestReports(body: Readable, onReport: (r: ColumnReport) => number, lineLimit: number, idleMs: number, onStart?: (stop: StopIngestion) => void): Promise<StreamOutcome> {
  const outcome: StreamOutcome = { reports: 0, accepted: 0 };
  let pending = '';
  let line = 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => stop({ status: 408, message: `no data for ${idleMs} ms` }), idleMs);
    let settled = false;
    const stop = (refused?: StreamOutcome['refused']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onEnd);
      body.off('close', onEnd);
      if (refused) {
        body.pause();
        outcome.refused = refused;
      }
      resolve(outcome);
    };
    const take = (text: string): boolean => {
      line += 1;
      if (text.trim() === '') return true;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        stop({ status: 400, message: `line ${line} is not valid JSON: ${(error as Error).message}` });
        return false;
      }
      const parsed = parseColumnReport(value);
      if (!parsed.success) {
        stop({ status: 400, message: `line ${line}: ${formatZodError(parsed.error, value)}` });
        return false;
      }
      outcome.reports += 1;
      outcome.accepted += onReport(parsed.data);
      return true;
    };
    const tooLong = () => stop({ status: 413, message: `line ${line + 1} is longer than ${lineLimit} characters` });
    const onData = (chunk: string) => {
      timer.refresh();
      const text = pending + chunk;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        if (nl - start > lineLimit) return tooLong();
        if (!take(text.slice(start, nl))) return;
        start = nl + 1;
      }
      pending = text.slice(start);
      if (pending.length > lineLimit) tooLong();
    };
    const onEnd = () => {
      if (pending.length > 0 && !take(pending)) return;
      stop();
    };
    onStart?.(stop);
    body.setEncoding('utf8');
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onEnd);
    body.once('close', onEnd);
  });
}

const ERRORS = { 400: 'bad_request', 408: 'request_timeout', 413: 'payload_too_large', 503: 'shutting_down' } as const;

export interface ReportStreamDeps {
  events: Pick<ClockedEvents, 'event'>;
  handleColumns: (report: ColumnReport, receivedAt: number) => number;
  now: () => number;
  /** The longest line, as `manager.body_limit` bounds one /report body. */
  lineLimit: number;
  idleMs?: number;
}

/**
 * `POST /report/stream`: an agent's reports as newline-delimited JSON on one long request, each line
 * a report in columns (`columnReportSchema`). Each report is taken in as its line arrives, so a stream
 * costs the manager one HTTP exchange, not one per report. The answer comes when the agent ends
 * the stream (200 with the counts) or at the first refused line (400, 408, 413, with the counts so
 * far, and then the connection closes), or 503 when the manager closes. The bearer token is checked
 * by app.ts's hook, once a stream.
 */
export function registerReportStream(app: FastifyInstance, deps: ReportStreamDeps): void {
  const idleMs = deps.idleMs ?? REPORT_STREAM_IDLE_MS;
  // fastify's close waits for requests in flight, and a stream lasts until its agent ends it: on
  // close each is answered 503 at once, so the manager stops without waiting for them
  const open = new Set<StopIngestion>();
  app.addHook('preClose', async () => {
    for (const stop of open) stop({ status: 503, message: 'the manager is shutting down' });
  });
  void app.register(async (scope) => {
    // the body stays a stream in this route alone: fastify would otherwise buffer it whole
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload));
    scope.post(REPORT_STREAM_ROUTE, async (request, reply) => {
      let stopIt: StopIngestion | undefined;
      const outcome = await ingestReports(request.body as IncomingMessage, (r) => deps.handleColumns(r, deps.now()), deps.lineLimit, idleMs, (stop) => open.add((stopIt = stop)));
      if (stopIt) open.delete(stopIt);
      const counts = { reports: outcome.reports, accepted: outcome.accepted };
      if (!outcome.refused) return reply.code(200).send(counts);
      const { status, message } = outcome.refused;
      if (status < 500) deps.events.event('request_rejected', { status, path: REPORT_STREAM_ROUTE, reason: message, ...counts });
      // the agent may still be writing: answer, then close instead of reading an endless body
      return reply
        .code(status)
        .header('connection', 'close')
        .send({ error: ERRORS[status], message, ...counts });
    });
  });
}
