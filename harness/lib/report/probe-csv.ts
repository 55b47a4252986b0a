import type { ProbeSample } from '../config/types.ts';

/** A probe sample as stored run-wide in probes.csv. `source` names where the probe ran (control, lg-1 …). */
export interface ProbeRow extends ProbeSample {
  experiment: string;
  iteration: number;
  source: string;
}

export const PROBE_CSV_HEADER = 'experiment,iteration,source,seq,sentAt,status,ok,latencyMs,servedBy,node,error';

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatProbeRows(rows: readonly ProbeRow[]): string {
  return rows
    .map((r) => [r.experiment, r.iteration, r.source, r.seq, r.sentAt.toFixed(3), r.status, r.ok ? 1 : 0, r.latencyMs.toFixed(3), r.servedBy, r.node, r.error].map(cell).join(',') + '\n')
    .join('');
}

/** RFC 4180 fields of one line (quotes may hold commas and doubled quotes; no embedded newlines here). */
function splitLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let text = '';
      i += 1;
      while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
        text += line[i] === '"' ? '"' : line[i];
        i += line[i] === '"' ? 2 : 1;
      }
      fields.push(text);
      i += 2; // closing quote and comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      fields.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}

export function parseProbeCsv(text: string, file = 'probes.csv'): ProbeRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  if (lines[0] !== PROBE_CSV_HEADER) throw new Error(`${file}: header is "${lines[0]}", expected "${PROBE_CSV_HEADER}"`);
  return lines.slice(1).map((line, i) => {
    const f = splitLine(line);
    const num = (k: number, name: string): number => {
      const v = Number(f[k]);
      if (f[k] === '' || !Number.isFinite(v)) throw new Error(`${file} line ${i + 2}: ${name} is "${f[k]}", expected a number`);
      return v;
    };
    if (f.length !== 11) throw new Error(`${file} line ${i + 2}: ${f.length} fields, expected 11`);
    return {
      experiment: f[0],
      iteration: num(1, 'iteration'),
      source: f[2],
      seq: num(3, 'seq'),
      sentAt: num(4, 'sentAt'),
      status: num(5, 'status'),
      ok: f[6] === '1',
      latencyMs: num(7, 'latencyMs'),
      servedBy: f[8] === '' ? null : f[8],
      node: f[9] === '' ? null : f[9],
      ...(f[10] !== '' ? { error: f[10] } : {}),
    };
  });
}
