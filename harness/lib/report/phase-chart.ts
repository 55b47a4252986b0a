import { document, esc, linearScale, niceTicks, num, PALETTE } from './svg.ts';

export interface PhaseSegment {
  /** e.g. "T1−T0 (detect → alert)". */
  label: string;
  /** Median of the interval over the experiment's iterations, ms; null when none was measured. */
  medianMs: number | null;
  n: number;
  m: number;
}

export interface PhaseRow {
  experiment: string;
  segments: readonly PhaseSegment[];
}

const WIDTH = 900;
const LEFT = 130;
const RIGHT = WIDTH - 110;
const TOP = 80;
const ROW = 34;
const BAR = 20;

/**
 * One horizontal bar per experiment, stacked from T0: each segment is the median of one T-interval.
 * A sum of medians is not the median of the sums, so the label at the bar's end says which it is.
 * A negative median (clock correction can leave T2 − T1 a hair below 0) is drawn as 0 wide.
 */
export function phaseChart(title: string, rows: readonly PhaseRow[]): string {
  const labels = rows[0]?.segments.map((s) => s.label) ?? [];
  const total = (r: PhaseRow) => r.segments.reduce((s, g) => s + Math.max(0, g.medianMs ?? 0), 0) / 1000;
  const xMax = rows.reduce((m, r) => Math.max(m, total(r)), 0) * 1.05 || 1;
  const bottom = TOP + rows.length * ROW + 6;
  const x = linearScale([0, xMax], [LEFT, RIGHT]);
  const body: string[] = [];
  for (const t of niceTicks(0, xMax, 8)) {
    body.push(`<line x1="${num(x(t))}" y1="${TOP}" x2="${num(x(t))}" y2="${bottom}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${num(x(t))}" y="${bottom + 15}" text-anchor="middle" font-size="10">${esc(String(t))}</text>`);
  }
  body.push(`<text x="${num((LEFT + RIGHT) / 2)}" y="${bottom + 32}" text-anchor="middle" font-size="11">time since T0 (s), median of each interval</text>`);
  labels.forEach((label, k) => {
    const lx = 20 + (k % 3) * 290;
    const ly = 34 + Math.floor(k / 3) * 16;
    body.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${PALETTE[k % PALETTE.length]}"/><text x="${lx + 14}" y="${ly + 9}" font-size="10">${esc(label)}</text>`);
  });
  rows.forEach((r, i) => {
    const y = TOP + i * ROW + (ROW - BAR) / 2;
    body.push(`<g class="phase-row" data-experiment="${esc(r.experiment)}">`);
    body.push(`<text x="${LEFT - 6}" y="${num(y + BAR / 2 + 4)}" text-anchor="end" font-size="11">${esc(r.experiment)}</text>`);
    let at = 0;
    r.segments.forEach((s, k) => {
      const w = Math.max(0, s.medianMs ?? 0) / 1000;
      const count = s.n === s.m ? `n = ${s.n}` : `n = ${s.n} of ${s.m}`;
      const value = s.medianMs === null ? 'not measured' : `${num(s.medianMs, 1)} ms`;
      body.push(`<rect class="phase" data-interval="${k}" x="${num(x(at))}" y="${num(y)}" width="${num(x(at + w) - x(at), 2)}" height="${BAR}" fill="${PALETTE[k % PALETTE.length]}"><title>${esc(`${r.experiment} ${s.label}: ${value} (median, ${count})`)}</title></rect>`);
      at += w;
    });
    body.push(`<text x="${num(x(at) + 6)}" y="${num(y + BAR / 2 + 4)}" font-size="10">${esc(`Σ ${num(at, 2)} s`)}</text>`);
    body.push('</g>');
  });
  return document(WIDTH, bottom + 44, title, body);
}
