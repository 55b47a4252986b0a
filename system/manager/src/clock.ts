import { nowMs } from '../../shared/event-logger.ts';

/** Time as the manager sees it; injected so that timing logic is tested without sleeping. */
export interface Clock {
  /** Epoch ms, sub-ms precision. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: nowMs,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
