import type { Clock } from './clock.ts';

/**
 * The hand-off of a migrated task: the moment the agent on the old node may send its container the
 * stop signal itself.
 *
 * Swarm orders a start-first update's old task to shut down as soon as its replacement runs, but
 * the old node's dockerd stops it about 1 s later: its task manager cancels the wait on the running
 * container and, as after any cancelled wait, tries again a second later (swarmkit
 * agent/task.go, ErrTaskRetry; seen on the local lab as exactly 1.0 s between the node receiving
 * the SHUTDOWN assignment and its "Sending kill signal 15"). The task's own drain, which keeps it
 * serving until the balancer has noticed, starts only at that signal. The agent that raised the
 * alert waits here instead, and sends the signal once swarm has decided the old task is to stop:
 * never sooner, so nothing stops that swarm would have kept.
 */
export type HandoffAnswer =
  | { release: true; container: string; task: string; node: string; t: number }
  | { release: false; reason: string; pending?: true };

export interface HandoffSubject {
  container: string;
  task: string;
  node: string;
}

interface Entry {
  subject: HandoffSubject;
  answer?: HandoffAnswer;
  endedAt?: number;
  waiters: Set<(answer: HandoffAnswer) => void>;
}

/** How long an ended hand-off still answers a late question with what happened. */
const KEEP_ENDED_MS = 60_000;
/** More entries than actions could ever be in flight at once; an old ended one goes first. */
const MAX_ENTRIES = 1000;

export class Handoffs {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  /** A migration of `subject` started: its agent may now ask. */
  begin(actionId: string, subject: HandoffSubject): void {
    this.prune();
    this.entries.set(actionId, { subject, waiters: new Set() });
  }

  /**
   * Swarm has ordered the old task to shut down and its replacement is ready: the agent may stop it,
   * `afterMs` from now (early_stop_delay: the balancer's time to take the replacement in). An action
   * that ends meanwhile answers as it ended.
   */
  release(actionId: string, afterMs = 0): void {
    const now = () => {
      const e = this.entries.get(actionId);
      if (!e || e.answer) return;
      this.settle(e, { release: true, ...e.subject, t: this.clock.now() });
    };
    if (afterMs <= 0) return now();
    setTimeout(now, afterMs).unref();
  }

  /** The action is over; a question still waiting learns why nothing is to be stopped by it. */
  end(actionId: string, reason: string): void {
    const e = this.entries.get(actionId);
    if (!e) return;
    e.endedAt = this.clock.now();
    if (!e.answer) this.settle(e, { release: false, reason });
  }

  /** Undefined for an action this manager has no hand-off for. Waits at most `waitMs` for an answer. */
  wait(actionId: string, waitMs: number): Promise<HandoffAnswer> | undefined {
    const e = this.entries.get(actionId);
    if (!e) return undefined;
    if (e.answer) return Promise.resolve(e.answer);
    return new Promise((resolve) => {
      const done = (answer: HandoffAnswer) => {
        clearTimeout(timer);
        e.waiters.delete(done);
        resolve(answer);
      };
      const timer = setTimeout(() => done({ release: false, reason: `replacement not ready within ${waitMs} ms`, pending: true }), waitMs);
      e.waiters.add(done);
    });
  }

  get size(): number {
    return this.entries.size;
  }

  private settle(e: Entry, answer: HandoffAnswer): void {
    e.answer = answer;
    for (const w of [...e.waiters]) w(answer);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [id, e] of this.entries) {
      if (e.endedAt !== undefined && (now - e.endedAt > KEEP_ENDED_MS || this.entries.size >= MAX_ENTRIES)) this.entries.delete(id);
    }
  }
}
