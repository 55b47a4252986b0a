import type { Clock } from './clock.ts';
import { workerMemoryHolder, type MemoryHolder, type MemoryHolderFactory } from './memory-holder.ts';
import { RampedEngine } from './ramped-engine.ts';
import type { RampPlan } from './types.ts';

export interface MemoryStressDeps {
  clock: Clock;
  holder?: MemoryHolderFactory;
  chunkMb?: number;
  tickMs?: number;
}

/** Memory load: grows a holder along the ramp in chunks of at most chunkMb, holds, releases. */
export class MemoryStress extends RampedEngine {
  readonly kind = 'memory';
  private readonly holderFactory: MemoryHolderFactory;
  private readonly chunkMb: number;
  private holder: MemoryHolder | null = null;

  constructor(deps: MemoryStressDeps) {
    super(deps.clock, deps.tickMs ?? 100);
    this.holderFactory = deps.holder ?? workerMemoryHolder;
    this.chunkMb = deps.chunkMb ?? 8;
  }

  protected async begin(_plan: RampPlan): Promise<void> {
    this.holder = this.holderFactory(this.chunkMb);
  }

  protected apply(level: number): void {
    this.holder?.growTo(level);
  }

  protected async release(): Promise<void> {
    const holder = this.holder;
    this.holder = null;
    await holder?.release();
  }

  protected detail(): Record<string, number | string> {
    return { allocated_mb: this.holder?.allocatedMb() ?? 0, chunk_mb: this.chunkMb };
  }
}
