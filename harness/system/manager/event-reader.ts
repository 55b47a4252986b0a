import type { EventRecord } from '../../../system/shared/event-logger.ts';

/** What the manager's GET /events keeps (EventLogger's default); a read that returns this many may have missed some. */
const KEPT = 2000;

/**
 * Reads a manager's GET /events incrementally, each event once: `pull()` returns the events logged
 * since the previous pull. Throws when events were dropped between two pulls (the manager keeps
 * only the last 2,000), so a benchmark never quietly loses the T2 or T3 of an alert.
 */
export class EventReader {
  private cursor: number;
  private readonly atCursor = new Set<string>();

  constructor(
    private readonly baseUrl: string,
    since: number,
  ) {
    this.cursor = since;
  }

  async pull(): Promise<EventRecord[]> {
    // events at the cursor's exact time may be new or already seen: read from just before, skip the seen
    const since = Math.max(0, this.cursor - 0.001).toFixed(3);
    const res = await fetch(new URL(`/events?since=${since}`, this.baseUrl));
    if (!res.ok) throw new Error(`GET /events?since=${since}: ${res.status} ${await res.text()}`);
    const { events } = (await res.json()) as { events: EventRecord[] };
    if (events.length >= KEPT && events[0].t > this.cursor) {
      throw new Error(`GET /events returned ${events.length} events starting at ${events[0].t}, after the last read (${this.cursor}): some were dropped; read more often`);
    }
    const key = (e: EventRecord) => `${e.event}|${e.t}|${e.alertId ?? ''}|${e.actionId ?? ''}`;
    const fresh = events.filter((e) => e.t > this.cursor || (e.t === this.cursor && !this.atCursor.has(key(e))));
    for (const e of fresh) {
      if (e.t > this.cursor) {
        this.cursor = e.t;
        this.atCursor.clear();
      }
      if (e.t === this.cursor) this.atCursor.add(key(e));
    }
    return fresh;
  }
}
