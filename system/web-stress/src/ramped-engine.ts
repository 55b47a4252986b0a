import type { Clock } from './clock.ts';
import { RampRunner } from './ramp.ts';
import { STRESS_UNITS, type RampPlan, type StressEngine, type StressKind, type StressStatus } from './types.ts';

/**
 * What the CPU, memory and network engines share: a ramp driven by one timer, replace-on-start,
 * stop, and release when the ramp and hold are over. Start, stop and release run one at a time,
 * so a replacing start never overlaps the release of what it replaces.
 */
export abstract class RampedEngine implements StressEngine {
  abstract readonly kind: StressKind;
  private run: { runner: RampRunner; startedAt: number } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    protected readonly clock: Clock,
    private readonly tickMs: number,
  ) {}

  /** Acquire what the stress needs (workers, sockets) before the ramp starts. */
  protected abstract begin(plan: RampPlan): Promise<void>;
  /** Move the load to `level` (called every tick). Must not throw. */
  protected abstract apply(level: number, elapsedMs: number): void;
  /** Release everything begin acquired. */
  protected abstract release(): Promise<void>;
  /** Engine-specific figures for the status. */
  protected abstract detail(): Record<string, number | string>;

  start(plan: RampPlan): Promise<StressStatus> {
    return this.serial(async () => {
      await this.halt();
      await this.begin(plan);
      const runner = new RampRunner(this.clock, plan, this.tickMs, {
        onLevel: (level, elapsedMs) => this.apply(level, elapsedMs),
        onEnd: () => {
          this.run = null;
          void this.serial(() => this.release());
        },
      });
      this.run = { runner, startedAt: this.clock.epochMs() };
      runner.start();
      const status = this.status();
      if (!status) throw new Error(`${this.kind} stress ended at once (ramp ${plan.rampS} s, duration ${plan.durationS} s)`);
      return status;
    });
  }

  stop(): Promise<StressStatus | null> {
    return this.serial(async () => {
      const status = this.status();
      await this.halt();
      return status;
    });
  }

  status(): StressStatus | null {
    if (!this.run) return null;
    const { runner, startedAt } = this.run;
    const { target, rampS, durationS } = runner.plan;
    return {
      kind: this.kind,
      target,
      unit: STRESS_UNITS[this.kind],
      level: Math.round(runner.level * 100) / 100,
      ramp_s: rampS,
      duration_s: durationS,
      phase: runner.phase,
      started_at: startedAt,
      ends_at: startedAt + (rampS + durationS) * 1000,
      detail: this.detail(),
    };
  }

  /** Resolves once every start, stop and release queued so far has finished. */
  idle(): Promise<void> {
    return this.serial(async () => undefined);
  }

  private async halt(): Promise<void> {
    if (!this.run) return;
    this.run.runner.stop();
    this.run = null;
    await this.release();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op);
    this.queue = next.catch((error: unknown) => {
      console.error(`web-stress: ${this.kind} stress failed:`, error);
    });
    return next;
  }
}
