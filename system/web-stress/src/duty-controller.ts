/**
 * Closed-loop correction of the CPU duty: an integral term added to the open-loop command, so the
 * measured share converges on the target despite the app's own overhead and scheduling losses.
 */
export interface DutyControl {
  /** Percentage points added to the open-loop command. */
  integral: number;
}

export interface DutyGains {
  gain: number;
  /** Bound on the correction (anti-windup when the load cannot be reached). */
  maxCorrection: number;
}

export const DEFAULT_GAINS: DutyGains = { gain: 0.5, maxCorrection: 40 };

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** One control step: the new correction after measuring `measured` % while aiming at `level` %. */
export function correct(control: DutyControl, level: number, measured: number, gains = DEFAULT_GAINS): DutyControl {
  const integral = control.integral + gains.gain * (level - measured);
  return { integral: clamp(integral, -gains.maxCorrection, gains.maxCorrection) };
}

/** The command in % of the CPU limit: level plus correction, never below 0 or above 100. */
export function command(control: DutyControl, level: number): number {
  if (level <= 0) return 0;
  return clamp(level + control.integral, 0, 100);
}

/** Per-thread duty (0–1) that spreads `percent` of `limitCores` over `threads` threads. */
export function threadDuty(percent: number, limitCores: number, threads: number): number {
  return clamp(((percent / 100) * limitCores) / threads, 0, 1);
}
