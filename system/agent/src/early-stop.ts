import type { EventLogger } from '../../shared/event-logger.ts';
import type { PostResponse } from './http-poster.ts';

/** The engine call: the container's own stop signal (`StopSignal`, else SIGTERM); returns the signal sent, null if the container is gone. */
export interface ContainerStopper {
  sendStopSignal(id: string): Promise<string | null>;
}

export interface EarlyStopDeps {
  manager: { get(path: string, timeoutMs: number): Promise<PostResponse> };
  stopper: ContainerStopper;
  events: EventLogger;
  now: () => number;
  /** How long the manager may hold one question (its limit is 30 s). */
  waitMs?: number;
  /** Questions per migration at most: with `waitMs` this bounds the whole wait. */
  maxQuestions?: number;
}

export interface MigratedContainer {
  actionId: string;
  alertId: string;
  service: string;
  /** Full container id on this node. */
  id: string;
}

type Answer = { release?: boolean; container?: string; reason?: string; pending?: boolean };

/**
 * After a migration alert: asks the manager when the migrated task may stop (the manager's
 * handoff.ts says why) and then sends the container its stop signal, the one Docker would send
 * about a second later. Only on the manager's word that swarm has ordered this very task to shut
 * down; on anything else (an error, a wrong container, the action over) it does nothing and says so.
 */
export class EarlyStop {
  private readonly following = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: EarlyStopDeps) {}

  follow(c: MigratedContainer): void {
    if (this.closed) return;
    const run = this.run(c).catch((err: unknown) => {
      this.deps.events.event('early_stop_skipped', { ...ids(c), reason: `error: ${String(err)}` });
    });
    this.following.add(run);
    void run.finally(() => this.following.delete(run));
  }

  /** Stops asking; a question in flight ends with the poster's close or its wait. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.following]);
  }

  private async run(c: MigratedContainer): Promise<void> {
    const { manager, stopper, events, now } = this.deps;
    const waitMs = this.deps.waitMs ?? 10_000;
    const max = this.deps.maxQuestions ?? 9;
    const path = `/actions/${encodeURIComponent(c.actionId)}/handoff?wait_ms=${waitMs}`;
    for (let asked = 1; asked <= max && !this.closed; asked += 1) {
      const res = await manager.get(path, waitMs + 5_000);
      if (res.status !== 200) return skip(events, c, `manager answered ${res.status}: ${res.body.slice(0, 200)}`);
      const answer = JSON.parse(res.body) as Answer;
      if (answer.pending) continue;
      if (answer.release !== true) return skip(events, c, answer.reason ?? 'not released');
      if (!sameContainer(answer.container, c.id)) {
        return skip(events, c, `released container ${answer.container ?? '?'} is not ${c.id.slice(0, 12)}`);
      }
      const t = now();
      const signal = await stopper.sendStopSignal(c.id);
      if (signal === null) return skip(events, c, 'container already gone');
      events.event('early_stop_sent', { ...ids(c), t, signal, questions: asked });
      return;
    }
    if (!this.closed) skip(events, c, `no answer after ${max} questions of ${waitMs} ms`);
  }
}

/** Swarm gives the full id, and so does the engine's list; a 12-character prefix is the shortest taken. */
function sameContainer(released: string | undefined, id: string): boolean {
  return released !== undefined && released.length >= 12 && (id.startsWith(released) || released.startsWith(id));
}

function ids(c: MigratedContainer) {
  return { actionId: c.actionId, alertId: c.alertId, service: c.service, container: c.id.slice(0, 12) };
}

function skip(events: EventLogger, c: MigratedContainer, reason: string): void {
  events.event('early_stop_skipped', { ...ids(c), reason });
}
