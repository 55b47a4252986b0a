import { describe, expect, it } from 'vitest';
import { corrections, estimateClockOffset } from './clock-offset.ts';

/**
 * A simulated pair of clocks: local time advances only through the fake network delays; the remote
 * clock is local + skew and is read after the outbound delay of each round trip.
 */
function fakeLink(skewMs: number, delays: Array<[out: number, back: number]>) {
  let local = 1_795_373_000_000;
  let i = 0;
  return {
    localNow: () => local,
    remoteNow: async () => {
      const [out, back] = delays[i++ % delays.length];
      local += out;
      const remote = local + skewMs;
      local += back;
      return remote;
    },
  };
}

describe('estimateClockOffset', () => {
  it('recovers the skew exactly with symmetric delays', async () => {
    const link = fakeLink(250, [[5, 5]]);
    const est = await estimateClockOffset('worker-1', link.remoteNow, { samples: 3, localNow: link.localNow });
    expect(est.offsetMs).toBe(250);
    expect(est.rttMs).toBe(10);
    expect(est.uncertaintyMs).toBe(5);
    expect(est.raw).toHaveLength(3);
  });

  it('picks the round trip with the smallest RTT and stays within ±rtt/2 of the truth', async () => {
    // asymmetric slow trips first, then a fast one
    const link = fakeLink(-1234.5, [[40, 2], [2, 30], [1, 2], [25, 25]]);
    const est = await estimateClockOffset('worker-2', link.remoteNow, { samples: 4, localNow: link.localNow });
    expect(est.rttMs).toBe(3);
    expect(est.offsetMs).toBe(-1234.5 + (1 - 2) / 2); // midpoint error of the chosen sample
    expect(Math.abs(est.offsetMs - -1234.5)).toBeLessThanOrEqual(est.uncertaintyMs);
  });

  it('rejects a bad sample count and a non-numeric remote clock', async () => {
    const link = fakeLink(0, [[1, 1]]);
    await expect(estimateClockOffset('m', link.remoteNow, { samples: 0 })).rejects.toThrow(/1\.\.100, got 0/);
    await expect(estimateClockOffset('m', async () => Number.NaN, { samples: 1 })).rejects.toThrow(/m: remote clock returned NaN/);
  });
});

describe('corrections', () => {
  it('is the amount to add: minus the offset', () => {
    expect(corrections([
      { node: 'a', offsetMs: 250, uncertaintyMs: 1, rttMs: 2, samples: 5 },
      { node: 'b', offsetMs: -40, uncertaintyMs: 1, rttMs: 2, samples: 5 },
    ])).toEqual({ a: -250, b: 40 });
  });
});
