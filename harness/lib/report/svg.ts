/** Small, deterministic SVG building helpers for charts.ts (no dependencies, no randomness). */

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Fixed-precision coordinates, so the same input gives the same bytes; never "-0". */
export function num(v: number, digits = 1): string {
  const text = v.toFixed(digits);
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

export type Scale = (v: number) => number;

export function linearScale([d0, d1]: [number, number], [r0, r1]: [number, number]): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Round tick values (1, 2, 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9 && ticks.length < 50; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface Plot {
  x: Scale;
  y: Scale;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Axes with ticks, grid and labels for a plot area; returns the elements and the scales. */
export function axes(
  area: { left: number; right: number; top: number; bottom: number },
  xDomain: [number, number],
  yDomain: [number, number],
  labels: { x?: string; y: string },
): { plot: Plot; svg: string[] } {
  const x = linearScale(xDomain, [area.left, area.right]);
  const y = linearScale(yDomain, [area.bottom, area.top]);
  const svg: string[] = [];
  for (const t of niceTicks(yDomain[0], yDomain[1], 4)) {
    svg.push(`<line x1="${num(area.left)}" y1="${num(y(t))}" x2="${num(area.right)}" y2="${num(y(t))}" stroke="#e5e5e5"/>`);
    svg.push(`<text x="${num(area.left - 4)}" y="${num(y(t) + 3)}" text-anchor="end" font-size="10">${esc(String(t))}</text>`);
  }
  for (const t of niceTicks(xDomain[0], xDomain[1], 8)) {
    svg.push(`<line x1="${num(x(t))}" y1="${num(area.bottom)}" x2="${num(x(t))}" y2="${num(area.bottom + 4)}" stroke="#333"/>`);
    svg.push(`<text x="${num(x(t))}" y="${num(area.bottom + 15)}" text-anchor="middle" font-size="10">${esc(String(t))}</text>`);
  }
  svg.push(`<rect x="${num(area.left)}" y="${num(area.top)}" width="${num(area.right - area.left)}" height="${num(area.bottom - area.top)}" fill="none" stroke="#333"/>`);
  svg.push(`<text x="${num(area.left - 36)}" y="${num((area.top + area.bottom) / 2)}" font-size="11" text-anchor="middle" transform="rotate(-90 ${num(area.left - 36)} ${num((area.top + area.bottom) / 2)})">${esc(labels.y)}</text>`);
  if (labels.x) svg.push(`<text x="${num((area.left + area.right) / 2)}" y="${num(area.bottom + 30)}" font-size="11" text-anchor="middle">${esc(labels.x)}</text>`);
  return { plot: { x, y, ...area }, svg };
}

/** A polyline; consecutive points only (callers split series at gaps). */
export function polyline(points: ReadonlyArray<[number, number]>, color: string, extra = ''): string {
  const pts = points.map(([px, py]) => `${num(px)},${num(py)}`).join(' ');
  return `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="1.5"${extra}/>`;
}

export function document(width: number, height: number, title: string, body: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
