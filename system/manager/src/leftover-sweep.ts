import type { Clock } from './clock.ts';
import type { RecoveryManager } from './recovery-manager.ts';
import { removeLeftoverConstraints } from './startup-reconciler.ts';
import type { SwarmPort } from './swarm-port.ts';

/**
 * Every `intervalMs`: removes temporary constraints that no action holds. A migration cleans up its
 * own constraint on every path, but swarm can refuse that update (a leader change, a deadline); the
 * constraint would then exclude a node from the service until the manager's next start.
 */
export class LeftoverSweep {
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = true;

  constructor(
    private readonly manager: RecoveryManager,
    private readonly port: SwarmPort,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.stopped = false;
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.tick().catch((error: Error) => this.manager.events.event('swarm_error', { error: error.message, during: 'leftover sweep' }));
        schedule();
      }, this.intervalMs);
    };
    schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async tick(): Promise<void> {
    await this.manager.inventory.refresh();
    await removeLeftoverConstraints(this.manager, this.port, this.clock);
  }
}
