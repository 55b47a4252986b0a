import { summarize } from '../report/stats.ts';
import type { JitterReport, ProbeSample } from '../config/types.ts';

/** One generator's probe log, parsed and put on the control host's clock. */
export interface RemoteProbeLog {
  source: string;
  /** The clock the script used and its resolution (µs); null when the log had no header yet. */
  clock: { name: string; resolutionUs: number } | null;
  /** Epoch ms (control clock) of the script's first planned send; null without header. */
  startedAt: number | null;
  intervalMs: number | null;
  samples: ProbeSample[];
  /** Lateness of each send against its planned slot (the script's own clock, so no offset error). */
  jitter: JitterReport;
  /** 1 when the text ended in a line without its newline (a request being logged when it was read). */
  truncated: number;
}

const SAMPLE_FIELDS = 'slot planned_us sent_us http_code time_total_s skipped served_by node';
const INT = /^\d+$/;

/**
 * Parses the tab-separated log of harness/lib/probe/remote-probe-script.ts. correctionMs is ADDED to the
 * generator's timestamps to put them on the control clock (−offset, see clock-offset.ts). A last
 * line without newline is left out (counted in truncated); any other damaged line is an error
 * naming the source and the line, since silently dropping samples would hide failures.
 */
export function parseRemoteProbeLog(text: string, source: string, correctionMs: number): RemoteProbeLog {
  if (!Number.isFinite(correctionMs)) throw new Error(`${source}: clock correction must be a finite number of ms, got ${correctionMs}`);
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const truncated = last === '' ? 0 : 1;
  let clock: RemoteProbeLog['clock'] = null;
  let startedAt: number | null = null;
  let intervalMs: number | null = null;
  const samples: ProbeSample[] = [];
  const lateness: number[] = [];
  let skipped = 0;
  lines.forEach((line, i) => {
    const where = `${source}: remote probe log line ${i + 1}`;
    if (line === '') return;
    if (line.startsWith('# ')) {
      const [kind, a, b] = line.slice(2).split(' ');
      if (kind === 'clock' && a && INT.test(b ?? '')) clock = { name: a, resolutionUs: Number(b) };
      else if (kind === 'start' && INT.test(a ?? '') && INT.test(b ?? '')) {
        startedAt = Number(a) / 1000 + correctionMs;
        intervalMs = Number(b) / 1000;
      } else throw new Error(`${where} is an unknown header: ${JSON.stringify(line)}`);
      return;
    }
    const f = line.split('\t');
    const bad = (what: string) => new Error(`${where} is malformed (${what}): ${JSON.stringify(line)}; expected ${f.length === 8 ? '' : '8 '}tab-separated fields ${SAMPLE_FIELDS}`);
    if (f.length !== 8) throw bad(`${f.length} fields`);
    const [slot, planned, sent, code, tt, skip, servedBy, node] = f;
    for (const [name, v] of [['slot', slot], ['planned_us', planned], ['sent_us', sent], ['skipped', skip]] as const) if (!INT.test(v)) throw bad(`${name} is not a whole number`);
    if (!/^\d{3}$/.test(code)) throw bad('http_code is not 3 digits');
    const totalS = Number(tt);
    if (!/^\d+(\.\d+)?$/.test(tt) || !Number.isFinite(totalS)) throw bad('time_total is not a number of seconds');
    const status = Number(code);
    const ok = status >= 200 && status < 300;
    samples.push({
      seq: Number(slot),
      sentAt: Number(sent) / 1000 + correctionMs,
      status,
      ok,
      latencyMs: totalS * 1000,
      servedBy: servedBy === '-' ? null : servedBy,
      node: node === '-' ? null : node,
      source,
      ...(status === 0 ? { error: 'no answer (curl)' } : {}),
    });
    lateness.push(Math.max(0, (Number(sent) - Number(planned)) / 1000));
    skipped = Math.max(skipped, Number(skip));
  });
  samples.sort((a, b) => a.seq - b.seq);
  const j = summarize(lateness);
  return { source, clock, startedAt, intervalMs, samples, jitter: { meanMs: j.mean ?? 0, p95Ms: j.p95 ?? 0, maxMs: j.max ?? 0, skipped }, truncated };
}

/**
 * Every generator's log parsed with its own correction (generator name → ms to add). A generator
 * whose log holds no sample is an error: a source that measured nothing must not count as "no failures".
 */
export function parseRemoteProbeLogs(
  logs: readonly { generator: string; text: string; output?: string }[],
  correctionsMs: Readonly<Record<string, number>>,
): RemoteProbeLog[] {
  const parsed = logs.map((l) => {
    const c = correctionsMs[l.generator];
    if (c === undefined) throw new Error(`no clock correction for load generator ${l.generator} (have: ${Object.keys(correctionsMs).join(', ') || 'none'})`);
    return { log: parseRemoteProbeLog(l.text, l.generator, c), output: l.output };
  });
  const empty = parsed.filter((p) => p.log.samples.length === 0);
  if (empty.length > 0) {
    const what = empty.map((p) => `${p.log.source}${p.output?.trim() ? ` (script output: ${p.output.trim().slice(-300)})` : p.log.clock ? ' (the script started but logged no request)' : ' (the script logged nothing, not even its header)'}`);
    throw new Error(`remote probe recorded no sample on ${what.join('; ')}`);
  }
  return parsed.map((p) => p.log);
}
