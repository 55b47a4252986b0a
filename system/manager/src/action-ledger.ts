import type { ActionKind, InFlightAction } from './types.ts';

/**
 * Which action is in flight on which service (one at a time per service) and until when each
 * action is cooling down. Reservation is synchronous, so that of many concurrent alerts exactly one
 * gets the service.
 */
export class ActionLedger {
  private readonly inFlight = new Map<string, InFlightAction>();
  private readonly cooldowns = new Map<string, Partial<Record<ActionKind, number>>>();
  private seq = 0;

  /** The new action, or undefined when another one holds the service. */
  reserve(service: string, kind: ActionKind, now: number, alertId?: string): InFlightAction | undefined {
    if (this.inFlight.has(service)) return undefined;
    this.seq += 1;
    const action: InFlightAction = {
      actionId: `${kind}-${Math.floor(now).toString(36)}-${this.seq}`,
      kind,
      service,
      startedAt: now,
      ...(alertId ? { alertId } : {}),
    };
    this.inFlight.set(service, action);
    return action;
  }

  release(action: InFlightAction): void {
    if (this.inFlight.get(action.service)?.actionId === action.actionId) this.inFlight.delete(action.service);
  }

  current(service: string): InFlightAction | undefined {
    return this.inFlight.get(service);
  }

  cooldownUntil(service: string): Partial<Record<ActionKind, number>> {
    return this.cooldowns.get(service) ?? {};
  }

  startCooldown(service: string, kind: ActionKind, until: number): void {
    this.cooldowns.set(service, { ...this.cooldownUntil(service), [kind]: until });
  }

  inFlightList(): InFlightAction[] {
    return [...this.inFlight.values()];
  }

  /** Cooldowns still running at `now`, with the ms left. */
  cooldownList(now: number): { service: string; action: ActionKind; until: number; remainingMs: number }[] {
    const out: { service: string; action: ActionKind; until: number; remainingMs: number }[] = [];
    for (const [service, kinds] of this.cooldowns) {
      for (const [action, until] of Object.entries(kinds) as [ActionKind, number][]) {
        if (until > now) out.push({ service, action, until, remainingMs: Math.round(until - now) });
      }
    }
    return out;
  }
}
