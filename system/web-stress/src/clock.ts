/** The time source and timers the engines use, injectable so that tests advance time by hand. */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Epoch milliseconds (for reports only, never for intervals). */
  epochMs(): number;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export type TimerHandle = { readonly id: unknown };

export const realClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
  setInterval: (fn, ms) => ({ id: setInterval(fn, ms) }),
  clearInterval: (handle) => clearInterval(handle.id as ReturnType<typeof setInterval>),
};
