import type { Clock, TimerHandle } from './clock.ts';
import type { RampPlan } from './types.ts';

/**
 * The level of a ramp at `elapsedMs` after its start: linear 0 → target over the ramp, then the
 * target for the hold; null once ramp + hold are over.
 */
export function rampLevel(plan: RampPlan, elapsedMs: number): number | null {
  const rampMs = plan.rampS * 1000;
  const endMs = rampMs + plan.durationS * 1000;
  if (elapsedMs >= endMs) return null;
  if (elapsedMs >= rampMs) return plan.target;
  return (plan.target * Math.max(0, elapsedMs)) / rampMs;
}

export interface RampCallbacks {
  /** Called at start and on every tick with the level reached. */
  onLevel(level: number, elapsedMs: number): void;
  /** Called once, when ramp + hold are over (not when stopped). */
  onEnd(): void;
}

/** Drives a ramp with one interval timer; owns nothing else. */
export class RampRunner {
  private handle: TimerHandle | null = null;
  private startedAt = 0;
  private lastLevel = 0;

  constructor(
    private readonly clock: Clock,
    readonly plan: RampPlan,
    private readonly tickMs: number,
    private readonly callbacks: RampCallbacks,
  ) {}

  start(): void {
    this.startedAt = this.clock.now();
    this.handle = this.clock.setInterval(() => this.tick(), this.tickMs);
    this.tick();
  }

  get running(): boolean {
    return this.handle !== null;
  }

  get level(): number {
    return this.lastLevel;
  }

  get phase(): 'ramp' | 'hold' {
    return this.clock.now() - this.startedAt < this.plan.rampS * 1000 ? 'ramp' : 'hold';
  }

  stop(): void {
    if (this.handle) this.clock.clearInterval(this.handle);
    this.handle = null;
  }

  private tick(): void {
    if (!this.handle) return;
    const elapsed = this.clock.now() - this.startedAt;
    const level = rampLevel(this.plan, elapsed);
    if (level === null) {
      this.stop();
      this.callbacks.onEnd();
      return;
    }
    this.lastLevel = level;
    this.callbacks.onLevel(level, elapsed);
  }
}
