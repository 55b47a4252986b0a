/**
 * A bounded memory of recently seen ids: at most `maxSize` ids, none older than `maxAgeMs`. Insertion
 * order is age order (a Map keeps it), so eviction only ever looks at the oldest entries.
 */
export class RecentIds {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly maxSize: number,
    private readonly maxAgeMs: number,
  ) {}

  /** True when `id` was seen within the bounds; otherwise remembers it (seen at `now`) and returns false. */
  seen(id: string, now: number): boolean {
    for (const [oldest, at] of this.ids) {
      if (now - at <= this.maxAgeMs) break;
      this.ids.delete(oldest);
    }
    if (this.ids.has(id)) return true;
    this.ids.set(id, now);
    if (this.ids.size > this.maxSize) this.ids.delete(this.ids.keys().next().value as string);
    return false;
  }

  get size(): number {
    return this.ids.size;
  }
}
