/** Prints each step of a long job with its duration, so a user sees where the time goes. */
export class Progress {
  private readonly started = performance.now();

  constructor(
    private readonly title: string,
    private readonly out: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const t = performance.now();
    this.out(`[${this.title}] ${name} …`);
    try {
      const result = await work();
      this.out(`[${this.title}] ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return result;
    } catch (err) {
      this.out(`[${this.title}] ${name} FAILED after ${((performance.now() - t) / 1000).toFixed(1)} s`);
      throw err;
    }
  }

  get elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  done(): void {
    this.out(`[${this.title}] finished in ${this.elapsedS.toFixed(1)} s`);
  }
}
