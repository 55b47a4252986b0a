import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value other than undefined/false, or fails with what was
 * awaited, how long it waited and the last thing seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    const waited = Date.now() - started;
    if (waited >= opts.timeoutMs) {
      const seen = opts.lastSeen?.() ?? (lastError ? (lastError as Error).message : undefined);
      throw new Error(`${what}: not reached after ${waited} ms (limit ${opts.timeoutMs} ms)${seen ? `; last seen: ${seen}` : ''}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}
