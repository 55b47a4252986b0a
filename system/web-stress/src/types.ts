/** Plain data shapes of web-stress. */

export type StressKind = 'cpu' | 'memory' | 'network';

export const STRESS_UNITS: Readonly<Record<StressKind, string>> = {
  cpu: '%',
  memory: 'MB',
  network: 'Mbps',
};

/** What a running stress is doing; also what /stress/stop reports as stopped. */
export interface StressStatus {
  kind: StressKind;
  target: number;
  unit: string;
  /** The level the ramp has reached now (0 → target). */
  level: number;
  ramp_s: number;
  duration_s: number;
  phase: 'ramp' | 'hold';
  /** Epoch ms. */
  started_at: number;
  ends_at: number;
  /** Engine-specific figures (threads, allocated MB, datagrams sent …). */
  detail: Record<string, number | string>;
}

/** A ramp: linear 0 → target over ramp_s, then held for duration_s, then released. */
export interface RampPlan {
  target: number;
  durationS: number;
  rampS: number;
}

/** Every stress engine: start replaces a running one of the same kind. */
export interface StressEngine {
  readonly kind: StressKind;
  start(plan: RampPlan): Promise<StressStatus>;
  /** Stops and releases everything; returns what was running, or null when idle. */
  stop(): Promise<StressStatus | null>;
  status(): StressStatus | null;
}
