import type { EventFields, EventLogger, EventName, EventRecord } from '../../shared/event-logger.ts';
import type { Clock } from './clock.ts';

/**
 * The shared EventLogger, with every event stamped by the injected clock unless it names its own `t`,
 * and shown to an observer (the /metrics counters) once logged.
 */
export class ClockedEvents {
  constructor(
    readonly logger: EventLogger,
    private readonly clock: Clock,
    private readonly observer?: (record: EventRecord) => void,
  ) {}

  event(name: EventName, fields: EventFields = {}): EventRecord {
    const record = this.logger.event(name, { t: this.clock.now(), ...fields });
    this.observer?.(record);
    return record;
  }

  since(t = 0): EventRecord[] {
    return this.logger.since(t);
  }
}
