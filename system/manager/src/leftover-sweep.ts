import { Periodic } from './periodic.ts';
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
  private readonly loop: Periodic;

  constructor(
    private readonly manager: RecoveryManager,
    private readonly port: SwarmPort,
    private readonly clock: Clock,
    intervalMs: number,
  ) {
    this.loop = new Periodic(() => intervalMs, () => this.tick(), (error) => this.manager.events.event('swarm_error', { error: error.message, during: 'leftover sweep' }));
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  async tick(): Promise<void> {
    await this.manager.inventory.refresh();
    await removeLeftoverConstraints(this.manager, this.port, this.clock);
  }
}
