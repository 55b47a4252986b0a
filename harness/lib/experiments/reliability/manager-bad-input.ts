import net from 'node:net';
import type { TimingEvent } from '../../config/types.ts';
import { sleep } from '../context.ts';
import type { BadRequest } from './manager-payloads.ts';
import { mapLimit } from './prng.ts';

export interface Answer {
  request: BadRequest;
  status: number;
  body: unknown;
  /** Why the answer breaks the contract; undefined when it keeps it. */
  problem?: string;
}

export interface BadInputTally {
  tried: number;
  answers: Answer[];
  unexpected: Answer[];
  byLabel: Record<string, number>;
  byStatus: Record<string, number>;
}

const CHUNK = 250;
const EVENTS_SLACK_MS = 20;

/**
 * A body sent chunked (no content-length) on a raw socket: the manager reads and discards the
 * upload (up to 1 MiB) and answers 413. Past that it closes, so the rest of the upload would fail
 * (EPIPE, reset), and an HTTP client would drop the answer with the broken upload. Here writes may
 * fail, and the answer is read from whatever arrived.
 */
function sendChunked(url: URL, headers: Record<string, string>, total: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 80) });
    let text = '';
    let socketError = '';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (m) resolve({ status: Number(m[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      else reject(new Error(`no HTTP answer (${text.length} bytes read${socketError ? `, socket ${socketError}` : ''})`));
    };
    const timer = setTimeout(finish, 5000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', finish);
    // The broken upload; the answer, if any, was read before. Kept to name it when none was.
    socket.on('error', (err: NodeJS.ErrnoException) => (socketError ||= err.code ?? err.message));
    socket.on('connect', () => {
      const head = Object.entries({ ...headers, host: url.host, 'transfer-encoding': 'chunked' }).map(([k, v]) => `${k}: ${v}`).join('\r\n');
      socket.write(`POST ${url.pathname} HTTP/1.1\r\n${head}\r\nconnection: close\r\n\r\n`);
      const chunk = `1000\r\n${'x'.repeat(4096)}\r\n`;
      let sent = 0;
      const pump = () => {
        while (sent < total && !socket.destroyed && text === '') {
          sent += 4096;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        if (!socket.destroyed && text === '') socket.write('0\r\n\r\n');
      };
      socket.write('8\r\n{"pad":"\r\n');
      pump();
    });
  });
}

async function send(baseUrl: string, req: BadRequest): Promise<Omit<Answer, 'problem'>> {
  try {
    let status: number;
    let text: string;
    if (req.body !== undefined && typeof req.body !== 'string') {
      ({ status, body: text } = await sendChunked(new URL(`${baseUrl}${req.path}`), req.headers, req.body.chunkedBytes));
    } else {
      const res = await fetch(`${baseUrl}${req.path}`, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(5000) });
      status = res.status;
      text = await res.text();
    }
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text, judged below
    }
    return { request: req, status, body: parsed };
  } catch (err) {
    return { request: req, status: 0, body: `no answer: ${(err as Error).message}` };
  }
}

function judge(a: Omit<Answer, 'problem'>): string | undefined {
  const e = a.request.expect;
  if ('status' in e) return a.status === e.status ? undefined : `expected ${e.status}, got ${a.status} ${JSON.stringify(a.body).slice(0, 160)}`;
  const b = a.body as { accepted?: unknown; reason?: unknown } | null;
  if (a.status < 200 || a.status > 299) return `expected 2xx {accepted:false}, got ${a.status} ${JSON.stringify(a.body).slice(0, 160)}`;
  if (b?.accepted !== false || typeof b.reason !== 'string') return `expected {accepted:false, reason}, got ${JSON.stringify(b).slice(0, 160)}`;
  if (e.reason && b.reason !== e.reason) return `expected reason ${e.reason}, got ${b.reason}`;
  return undefined;
}

/**
 * Compares one chunk's answers with what the manager logged in the same window: a rejected POST
 * must be a `request_rejected` event with its status, an ignored alert an `alert_ignored` with its
 * id and reason. Returns the answers whose log entry is missing.
 */
function checkLogged(answers: Answer[], events: TimingEvent[]): string[] {
  const problems: string[] = [];
  const rejected = new Map<number, number>();
  for (const e of events) if (e.event === 'request_rejected') rejected.set(Number(e.status), (rejected.get(Number(e.status)) ?? 0) + 1);
  const answered = new Map<number, number>();
  for (const a of answers) if (a.request.method === 'POST' && 'status' in a.request.expect && a.status >= 400 && a.status < 500) answered.set(a.status, (answered.get(a.status) ?? 0) + 1);
  for (const [status, n] of answered) {
    const logged = rejected.get(status) ?? 0;
    if (logged !== n) problems.push(`${n} POSTs answered ${status}, ${logged} request_rejected events with status ${status} logged`);
  }
  const ignored = new Map(events.filter((e) => e.event === 'alert_ignored').map((e) => [e.alertId, e]));
  for (const a of answers) {
    const e = a.request.expect;
    if (!('ignored' in e) || a.problem) continue;
    const ev = ignored.get(e.alertId);
    const reason = (a.body as { reason?: string }).reason;
    if (!ev) a.problem = `answered ignored (${reason}) but no alert_ignored event for ${e.alertId}`;
    else if (ev.reason !== reason) a.problem = `answered reason ${reason}, logged ${String(ev.reason)}`;
  }
  return problems;
}

/**
 * Sends every request (at most `concurrency` in flight) in chunks; after each chunk the manager's
 * /events for that window must account for every rejection and every ignored alert.
 * `managerClockShift` is added to the control host's time to get the manager's (−offset).
 */
export async function sendBadRequests(
  baseUrl: string,
  requests: BadRequest[],
  opts: { concurrency: number; managerClockShift: number; deadlineMs: number },
): Promise<BadInputTally> {
  const answers: Answer[] = [];
  const logProblems: string[] = [];
  const deadline = Date.now() + opts.deadlineMs;
  for (let at = 0; at < requests.length; at += CHUNK) {
    if (Date.now() > deadline) throw new Error(`bad input: ${at} of ${requests.length} requests sent when the ${opts.deadlineMs} ms limit passed`);
    const chunk = requests.slice(at, at + CHUNK);
    const from = performance.timeOrigin + performance.now() + opts.managerClockShift - EVENTS_SLACK_MS;
    const sent = await mapLimit(chunk, opts.concurrency, async (r) => {
      const a = await send(baseUrl, r);
      return { ...a, problem: judge(a) };
    });
    const to = performance.timeOrigin + performance.now() + opts.managerClockShift + EVENTS_SLACK_MS;
    const res = await fetch(`${baseUrl}/events?since=${Math.floor(from)}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET /events answered ${res.status} after chunk ${at / CHUNK}`);
    const events = ((await res.json()) as { events: TimingEvent[] }).events.filter((e) => e.t >= from && e.t <= to);
    logProblems.push(...checkLogged(sent, events).map((p) => `chunk ${at / CHUNK}: ${p}`));
    answers.push(...sent);
    await sleep(3 * EVENTS_SLACK_MS); // the next window starts clear of this one's events
  }
  const unexpected = answers.filter((a) => a.problem);
  const count = (f: (a: Answer) => string) => {
    const acc: Record<string, number> = {};
    for (const a of answers) acc[f(a)] = (acc[f(a)] ?? 0) + 1;
    return acc;
  };
  for (const p of logProblems) {
    unexpected.push({ request: { label: 'log-check', method: 'GET', path: '/events', headers: {}, expect: { status: 0 } }, status: 0, body: null, problem: p });
  }
  return { tried: answers.length, answers, unexpected, byLabel: count((a) => a.request.label), byStatus: count((a) => String(a.status)) };
}

export function mergeTallies(a: BadInputTally, b: BadInputTally): BadInputTally {
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return { tried: a.tried + b.tried, answers: [...a.answers, ...b.answers], unexpected: [...a.unexpected, ...b.unexpected], byLabel: add(a.byLabel, b.byLabel), byStatus: add(a.byStatus, b.byStatus) };
}
