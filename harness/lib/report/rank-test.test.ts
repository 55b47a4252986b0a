import { describe, expect, it } from 'vitest';
import { exactCounts, mannWhitneyU, normalSf } from './rank-test.ts';

describe('exactCounts', () => {
  it('gives the null distribution of U for 3 against 3, counted by hand over the C(6, 3) = 20 orderings', () => {
    // U = number of (x, y) pairs with x > y. An ordering's U is a sum of at most 3 parts (one per x: the
    // y's below it), each ≤ 3, so the count of U = u is the number of such partitions of u:
    // 0: {} | 1: 1 | 2: 2, 1+1 | 3: 3, 2+1, 1+1+1 | 4: 3+1, 2+2, 2+1+1 | 5: 3+2, 3+1+1, 2+2+1 | 6: 3+3, 3+2+1, 2+2+2 | 7, 8, 9 mirror 2, 1, 0
    expect(exactCounts(3, 3)).toEqual([1, 1, 2, 3, 3, 3, 3, 2, 1, 1]);
    expect(exactCounts(2, 4).reduce((s, c) => s + c, 0)).toBe(15); // C(6, 2)
    expect(exactCounts(1, 1)).toEqual([1, 1]);
  });
});

describe('mannWhitneyU', () => {
  it('is exact for small samples without ties: complete separation of 3 and 3 gives p = 2/20', () => {
    // P(U <= 0) = 1/20 from the table above, doubled for two sides
    const t = mannWhitneyU([1, 2, 3], [4, 5, 6])!;
    expect(t).toMatchObject({ u: 0, nX: 3, nY: 3, method: 'exact' });
    expect(t.p).toBeCloseTo(0.1, 12);
    expect(mannWhitneyU([4, 5, 6], [1, 2, 3])).toMatchObject({ u: 9, p: 0.1 });
  });

  // The example in SciPy's scipy.stats.mannwhitneyu documentation (ages at diagnosis of type II
  // diabetes, 5 men against 4 women; taken there from Shier, "Statistics: 2.3 The Mann-Whitney U
  // Test", Mathematics Learning Support Centre, 2004): U1 = 17, exact p = 0.1111111111111111,
  // asymptotic (continuity-corrected) p = 0.11134688653314041; reproduced with scipy 1.17.1.
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];

  it('reproduces the published exact p of the SciPy documentation example', () => {
    const t = mannWhitneyU(males, females)!;
    expect(t).toMatchObject({ u: 17, nX: 5, nY: 4, method: 'exact' });
    expect(t.p).toBeCloseTo(1 / 9, 12);
  });

  it('reproduces the documented asymptotic p with the normal approximation, and uses it above the exact limit', () => {
    // no ties: z = (|17 − 10| − 0.5) / sqrt(5·4·10/12) = 6.5 / 4.0825 = 1.5922
    const t = mannWhitneyU(males, females, { method: 'normal' })!;
    expect(t).toMatchObject({ u: 17, method: 'normal' });
    expect(t.z).toBeCloseTo(6.5 / Math.sqrt((5 * 4 * 10) / 12), 12);
    expect(t.p).toBeCloseTo(0.11134688653314041, 6);
    expect(normalSf(0)).toBeCloseTo(0.5, 7);
    expect(normalSf(-1.96)).toBeCloseTo(0.9750021, 6);
    const big = mannWhitneyU(Array.from({ length: 26 }, (_, i) => i * 2), Array.from({ length: 26 }, (_, i) => i * 2 + 1))!;
    expect(big.method).toBe('normal');
  });

  it('uses midranks and the tie-corrected variance when values tie', () => {
    // By hand: pooled ranks 1 | 2 2 2 → 3 | 3 3 → 5.5 | 4 → 7 | 5 → 8 | 6 6 → 9.5 | 7 → 11;
    // R_x = 1 + 3 + 3 + 5.5 + 7 = 19.5, U = 19.5 − 15 = 4.5; Σ(t³ − t) = 24 + 6 + 6 = 36;
    // σ² = (5·6/12)·(12 − 36/110) = 29.1818…; z = (10.5 − 0.5)/5.40202 = 1.85116; p = 0.0641466
    // (scipy 1.17.1, method "asymptotic": 0.06414661873440437)
    const t = mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 6, 6, 7])!;
    expect(t).toMatchObject({ u: 4.5, nX: 5, nY: 6, method: 'normal' });
    expect(t.z).toBeCloseTo(10 / Math.sqrt(2.5 * (12 - 36 / 110)), 12);
    expect(t.p).toBeCloseTo(0.06414661873440437, 6);
  });

  it('handles a proactive sample of all zeros against a reactive one (the downtime case) by the normal approximation', () => {
    // scipy 1.17.1: mannwhitneyu([0, 0, 0, 0], [7253.7, 7647.9], method="asymptotic") → U 0, p 0.0552342537180638
    const t = mannWhitneyU([0, 0, 0, 0], [7253.7, 7647.9])!;
    expect(t).toMatchObject({ u: 0, method: 'normal' });
    expect(t.p).toBeCloseTo(0.0552342537180638, 6);
  });

  it('gives p = 1 when every value ties, and null for an empty sample', () => {
    expect(mannWhitneyU([0, 0], [0, 0, 0])).toMatchObject({ u: 3, p: 1, method: 'normal' });
    expect(mannWhitneyU([], [1])).toBeNull();
    expect(() => mannWhitneyU([1], [Number.NaN])).toThrow(/NaN/);
  });
});
