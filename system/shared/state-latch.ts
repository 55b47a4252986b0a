/**
 * Remembers whether something (InfluxDB, the manager's /report) currently works, so that an
 * outage is logged once when it starts and once when it ends instead of every cycle.
 */
export class StateLatch {
  private failing = false;
  private failures = 0;

  constructor(private readonly onChange: (change: { ok: boolean; reason?: string; failures: number }) => void) {}

  ok(): void {
    if (!this.failing) return;
    this.failing = false;
    this.onChange({ ok: true, failures: this.failures });
    this.failures = 0;
  }

  fail(reason: string): void {
    this.failures += 1;
    if (this.failing) return;
    this.failing = true;
    this.onChange({ ok: false, reason, failures: this.failures });
  }

  get isFailing(): boolean {
    return this.failing;
  }
}
