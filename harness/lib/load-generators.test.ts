import { describe, expect, it } from 'vitest';
import { parsePollOutput, splitRates } from './load-generators.ts';

describe('splitRates', () => {
  it('gives the generators shares that add up to the total every second', () => {
    const total = [0, 1, 5, 7, 18];
    const parts = [0, 1, 2].map((i) => splitRates(total, i, 3));
    expect(parts).toEqual([[0, 1, 2, 3, 6], [0, 0, 2, 2, 6], [0, 0, 1, 2, 6]]);
    expect(total.map((_, s) => parts.reduce((n, p) => n + p[s], 0))).toEqual(total);
  });
});

describe('parsePollOutput', () => {
  it('keeps complete lines, leaves a partial last line for the next poll, and reads the running flag', () => {
    const out = ['@@ data 60 1', '1763840000123 200 5', '1763840000200 200 7', '17638400', '@@ pi 0 0', '', '@@ x 20 1', '1763840000300 200 9', '', ''].join('\n');
    expect(parsePollOutput(out)).toEqual([
      { stream: 'data', running: true, lines: '1763840000123 200 5\n1763840000200 200 7\n' },
      { stream: 'pi', running: false, lines: '' },
      { stream: 'x', running: true, lines: '1763840000300 200 9\n' },
    ]);
  });

  it('adds nothing when nothing new was logged (only the closing newline)', () => {
    expect(parsePollOutput('@@ data 40 1\n\n')).toEqual([{ stream: 'data', running: true, lines: '' }]);
    expect(parsePollOutput('')).toEqual([]);
  });
});
