import type { RampPlan, StressEngine, StressKind, StressStatus } from './types.ts';

/** Owns one engine per kind; the single place that starts and stops stress. */
export class StressSupervisor {
  private readonly engines: Map<StressKind, StressEngine>;

  constructor(engines: StressEngine[]) {
    this.engines = new Map(engines.map((engine) => [engine.kind, engine]));
  }

  has(kind: StressKind): boolean {
    return this.engines.has(kind);
  }

  /** Starts `kind`, replacing a running stress of that kind (reported as `replaced`). */
  async start(kind: StressKind, plan: RampPlan): Promise<{ started: StressStatus; replaced: StressStatus | null }> {
    const engine = this.engines.get(kind);
    if (!engine) throw new Error(`no ${kind} stress engine is configured`);
    const replaced = engine.status();
    return { started: await engine.start(plan), replaced };
  }

  stop(kind: StressKind): Promise<StressStatus | null> {
    return this.engines.get(kind)?.stop() ?? Promise.resolve(null);
  }

  /** Stops every engine at once; returns what was running. */
  async stopAll(): Promise<StressStatus[]> {
    const stopped = await Promise.all([...this.engines.values()].map((engine) => engine.stop()));
    return stopped.filter((status): status is StressStatus => status !== null);
  }

  active(): StressStatus[] {
    return [...this.engines.values()]
      .map((engine) => engine.status())
      .filter((status): status is StressStatus => status !== null);
  }
}
