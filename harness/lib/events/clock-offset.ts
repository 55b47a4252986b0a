import type { ClockOffset } from '../config/types.ts';

export interface OffsetSample {
  sendLocal: number;
  recvLocal: number;
  remote: number;
  rttMs: number;
  offsetMs: number;
}

export interface EstimateOptions {
  /** Samples to take (bounded: 1..100). */
  samples?: number;
  /** Local epoch ms clock; injected so tests need no real time. */
  localNow?: () => number;
}

/**
 * Offset of a remote clock against the local one by round-trip midpoint (Cristian's method):
 * offset = remote − (send + receive) / 2, from the sample with the smallest round trip, since that
 * one leaves the least room for asymmetric delay; the true offset lies within ± rtt / 2.
 * A positive offsetMs means the remote clock is ahead; `corrections()` turns offsets into the
 * amounts to ADD to each host's timestamps.
 */
export async function estimateClockOffset(
  node: string,
  remoteNow: () => Promise<number>,
  options: EstimateOptions = {},
): Promise<ClockOffset & { raw: OffsetSample[] }> {
  const k = options.samples ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new Error(`clock offset samples must be 1..100, got ${k}`);
  const localNow = options.localNow ?? (() => performance.timeOrigin + performance.now());
  const raw: OffsetSample[] = [];
  for (let i = 0; i < k; i++) {
    const sendLocal = localNow();
    const remote = await remoteNow();
    const recvLocal = localNow();
    if (!Number.isFinite(remote)) throw new Error(`clock offset for ${node}: remote clock returned ${remote}, expected epoch ms`);
    raw.push({ sendLocal, recvLocal, remote, rttMs: recvLocal - sendLocal, offsetMs: remote - (sendLocal + recvLocal) / 2 });
  }
  const best = raw.reduce((a, b) => (b.rttMs < a.rttMs ? b : a));
  return {
    node,
    offsetMs: best.offsetMs,
    uncertaintyMs: best.rttMs / 2,
    rttMs: best.rttMs,
    samples: k,
    raw,
  };
}

/** node → ms to ADD to that host's timestamps to put them on the control host's clock (−offset). */
export function corrections(offsets: readonly ClockOffset[]): Record<string, number> {
  return Object.fromEntries(offsets.map((o) => [o.node, o.offsetMs === 0 ? 0 : -o.offsetMs]));
}
