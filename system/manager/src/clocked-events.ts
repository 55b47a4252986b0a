import type { EventFields, EventLogger, EventName, EventRecord } from '../../shared/event-logger.ts';
import type { Clock } from './clock.ts';

/** The shared EventLogger, with every event stamped by the injected clock unless it names its own `t`. */
export class ClockedEvents {
  constructor(
    readonly logger: EventLogger,
    private readonly clock: Clock,
  ) {}

  event(name: EventName, fields: EventFields = {}): EventRecord {
    return this.logger.event(name, { t: this.clock.now(), ...fields });
  }

  since(t = 0): EventRecord[] {
    return this.logger.since(t);
  }
}
