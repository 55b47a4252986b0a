import { document, esc, linearScale, niceTicks, num } from './svg.ts';

export interface DistributionGroup {
  /** The experiment. */
  label: string;
  role: 'reactive' | 'proactive';
  /** The iterations' values, already in the axis unit. */
  values: readonly number[];
  /** Iterations in all, also those without a value ("n of m"). */
  m: number;
  median: number | null;
  ci: [number, number] | null;
}

const COLOR = { reactive: '#d62728', proactive: '#1f77b4' } as const;
const TOP = 60;
const BOTTOM = 300;
const LEFT = 70;
const COLUMN = 130;
const HALF = 30;
const DOT = 4;

/** x offsets of the dots of one column: each takes the first slot that clears the dots already placed. */
function spread(ys: readonly number[]): number[] {
  const placed: Array<[number, number]> = [];
  const slots = [0, -9, 9, -18, 18, -27, 27];
  return ys.map((y) => {
    const dx = slots.find((s) => placed.every(([px, py]) => Math.hypot(px - s, py - y) >= 2 * DOT + 1)) ?? 0;
    placed.push([dx, y]);
    return dx;
  });
}

/**
 * One column per experiment (the reactive baseline first): every iteration as a dot, the median as
 * a bar across the column and its 95 % bootstrap interval as a shaded band behind the dots.
 */
export function distributionChart(title: string, axisLabel: string, groups: readonly DistributionGroup[]): string {
  const width = Math.max(560, LEFT + groups.length * COLUMN + 30);
  const height = BOTTOM + 70;
  const all = groups.flatMap((g) => [...g.values, ...(g.ci ?? [])]);
  const yMax = all.reduce((m, v) => (v > m ? v : m), 0) * 1.1 || 1;
  const y = linearScale([0, yMax], [BOTTOM, TOP]);
  const right = LEFT + groups.length * COLUMN;
  const body: string[] = [];
  for (const t of niceTicks(0, yMax, 5)) {
    body.push(`<line x1="${LEFT}" y1="${num(y(t))}" x2="${right}" y2="${num(y(t))}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${LEFT - 4}" y="${num(y(t) + 3)}" text-anchor="end" font-size="10">${esc(String(t))}</text>`);
  }
  body.push(`<rect x="${LEFT}" y="${TOP}" width="${right - LEFT}" height="${BOTTOM - TOP}" fill="none" stroke="#333"/>`);
  const mid = (TOP + BOTTOM) / 2;
  body.push(`<text x="${LEFT - 40}" y="${mid}" font-size="11" text-anchor="middle" transform="rotate(-90 ${LEFT - 40} ${mid})">${esc(axisLabel)}</text>`);
  groups.forEach((g, i) => {
    const cx = LEFT + COLUMN * i + COLUMN / 2;
    const color = COLOR[g.role];
    body.push(`<g class="dist-group" data-experiment="${esc(g.label)}" data-role="${g.role}">`);
    if (g.ci) {
      const [lo, hi] = g.ci;
      body.push(`<rect class="dist-ci" x="${num(cx - HALF)}" y="${num(y(hi))}" width="${2 * HALF}" height="${num(Math.max(1, y(lo) - y(hi)))}" fill="${color}" fill-opacity="0.15" stroke="${color}" stroke-opacity="0.5"><title>95 % CI of the median: ${esc(num(lo, 3))} … ${esc(num(hi, 3))}</title></rect>`);
    }
    const sorted = [...g.values].sort((a, b) => a - b);
    const offsets = spread(sorted.map((v) => y(v)));
    sorted.forEach((v, k) => {
      body.push(`<circle class="dist-point" cx="${num(cx + offsets[k])}" cy="${num(y(v))}" r="${DOT}" fill="${color}" fill-opacity="0.8"><title>${esc(num(v, 3))}</title></circle>`);
    });
    if (g.median !== null) {
      body.push(`<line class="dist-median" x1="${num(cx - HALF - 6)}" y1="${num(y(g.median))}" x2="${num(cx + HALF + 6)}" y2="${num(y(g.median))}" stroke="#111" stroke-width="2.5"><title>median ${esc(num(g.median, 3))}</title></line>`);
    }
    body.push(`<text x="${num(cx)}" y="${BOTTOM + 16}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`);
    body.push(`<text x="${num(cx)}" y="${BOTTOM + 30}" text-anchor="middle" font-size="10" fill="${color}">${g.role}</text>`);
    body.push(`<text x="${num(cx)}" y="${BOTTOM + 44}" text-anchor="middle" font-size="10">${g.values.length === g.m ? `n = ${g.m}` : `n = ${g.values.length} of ${g.m}`}</text>`);
    body.push('</g>');
  });
  // legend: what the marks mean
  body.push(`<circle cx="${LEFT + 6}" cy="40" r="${DOT}" fill="#555"/><text x="${LEFT + 14}" y="44" font-size="10">iteration</text>`);
  body.push(`<line x1="${LEFT + 80}" y1="40" x2="${LEFT + 100}" y2="40" stroke="#111" stroke-width="2.5"/><text x="${LEFT + 106}" y="44" font-size="10">median</text>`);
  body.push(`<rect x="${LEFT + 160}" y="34" width="20" height="12" fill="#555" fill-opacity="0.15" stroke="#555" stroke-opacity="0.5"/><text x="${LEFT + 186}" y="44" font-size="10">95 % bootstrap CI of the median</text>`);
  return document(width, height, title, body);
}
