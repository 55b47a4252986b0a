/**
 * Runs `tick` again `intervalMs()` after the previous one ended (never two at once), until stopped.
 * A tick that throws goes to `onError` and the loop goes on: the manager's background loops must
 * outlive a dockerd that fails one call.
 */
export class Periodic {
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = true;

  constructor(
    private readonly intervalMs: () => number,
    private readonly tick: () => Promise<unknown>,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    this.stopped = false;
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.tick().catch(this.onError);
        schedule();
      }, this.intervalMs());
    };
    schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
