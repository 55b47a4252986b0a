import type { Clock } from './clock.ts';
import type { CpuMeter } from './cpu-meter.ts';
import { workerThreadPool, type CpuPoolFactory, type CpuWorkerPool } from './cpu-worker-pool.ts';
import { command, correct, threadDuty, DEFAULT_GAINS, type DutyControl, type DutyGains } from './duty-controller.ts';
import { RampedEngine } from './ramped-engine.ts';
import type { RampPlan } from './types.ts';

export interface CpuStressDeps {
  clock: Clock;
  meter: CpuMeter;
  pool?: CpuPoolFactory;
  /** Duty-cycle period of the worker threads. */
  periodMs?: number;
  tickMs?: number;
  /** How often the measured share corrects the duty. */
  controlMs?: number;
  gains?: DutyGains;
}

/**
 * CPU load as a share of the container's CPU limit: ceil(limit) threads, duty spread so that
 * busy cores = level % × limit, corrected every controlMs from the container's own CPU counter.
 */
export class CpuStress extends RampedEngine {
  readonly kind = 'cpu';
  private readonly meter: CpuMeter;
  private readonly poolFactory: CpuPoolFactory;
  private readonly periodMs: number;
  private readonly controlMs: number;
  private readonly gains: DutyGains;
  private pool: CpuWorkerPool | null = null;
  private control: DutyControl = { integral: 0 };
  private last = { at: 0, usage: 0 };
  /** ∫ level dt since the last control step: the measurement is compared with the mean level it covers. */
  private window = { levelMs: 0, tickAt: 0, level: 0 };
  private measured = 0;
  private duty = 0;

  constructor(deps: CpuStressDeps) {
    super(deps.clock, deps.tickMs ?? 100);
    this.meter = deps.meter;
    this.poolFactory = deps.pool ?? workerThreadPool;
    this.periodMs = deps.periodMs ?? 100;
    this.controlMs = deps.controlMs ?? 500;
    this.gains = deps.gains ?? DEFAULT_GAINS;
  }

  get threads(): number {
    return Math.max(1, Math.ceil(this.meter.limitCores));
  }

  protected async begin(_plan: RampPlan): Promise<void> {
    this.pool = this.poolFactory(this.threads, this.periodMs);
    this.control = { integral: 0 };
    this.last = { at: this.clock.now(), usage: this.meter.usageMicros() };
    this.window = { levelMs: 0, tickAt: this.last.at, level: 0 };
    this.measured = 0;
  }

  protected apply(level: number): void {
    const now = this.clock.now();
    // the load since the previous tick ran at the previous tick's level
    this.window.levelMs += this.window.level * (now - this.window.tickAt);
    this.window.tickAt = now;
    this.window.level = level;
    const elapsed = now - this.last.at;
    if (elapsed >= this.controlMs) {
      const usage = this.meter.usageMicros();
      this.measured = ((usage - this.last.usage) / (elapsed * 1000 * this.meter.limitCores)) * 100;
      this.control = correct(this.control, this.window.levelMs / elapsed, this.measured, this.gains);
      this.last = { at: now, usage };
      this.window.levelMs = 0;
    }
    this.duty = threadDuty(command(this.control, level), this.meter.limitCores, this.threads);
    this.pool?.setDuty(this.duty);
  }

  protected async release(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.duty = 0;
    await pool?.terminate();
  }

  protected detail(): Record<string, number | string> {
    return {
      threads: this.threads,
      limit_cores: this.meter.limitCores,
      measured_percent: Math.round(this.measured * 10) / 10,
      thread_duty: Math.round(this.duty * 1000) / 1000,
      source: this.meter.source,
    };
  }
}
