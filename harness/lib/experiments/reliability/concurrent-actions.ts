import type { TimingEvent } from '../../config/types.ts';

export type ExpectedAction = 'migrate' | 'scale_up';

export interface ObservedAction {
  actionId: string;
  service: string;
  action: string;
  alertId?: string;
  /** The service named by the alert the action answered (alert_received with the action's alertId). */
  alertService?: string;
  completed: boolean;
  failed?: string;
}

export interface ActionVerdict {
  actions: ObservedAction[];
  /** Actions on a service without a fault, or of the wrong kind for its fault. */
  wrongActions: number;
  failedActions: number;
  /** `update out of sequence` answered by the manager's retry (update_retry events). */
  outOfSequenceRetried: number;
  /** `update out of sequence` anywhere else: an action, a clean-up or a refresh that gave up. */
  outOfSequenceUnhandled: number;
  /** Alerts the manager answered without an action, by reason (in flight, cooldown …): expected under concurrency. */
  ignoredAlerts: Record<string, number>;
  problems: string[];
}

/** Events that report something the manager could not do; none may appear. */
const ERROR_EVENTS = new Set(['constraint_cleanup_failed', 'swarm_error', 'scale_down_error', 'request_failed']);
const OUT_OF_SEQUENCE = /update out of sequence/i;

const mentionsOutOfSequence = (e: TimingEvent) => Object.values(e).some((v) => typeof v === 'string' && OUT_OF_SEQUENCE.test(v));

/**
 * Judges the manager's events of a run with faults on several services at once: every action must
 * answer an alert of its own service and be of the kind that service's fault calls for
 * (`expected`: service → action); each faulty service gets its action (a migration exactly once,
 * a scale-up at least once), nothing fails, and every `update out of sequence` is retried.
 */
export function judgeActions(events: readonly TimingEvent[], expected: Readonly<Record<string, ExpectedAction>>): ActionVerdict {
  const problems: string[] = [];
  const alertService = new Map(events.filter((e) => e.event === 'alert_received' && e.alertId).map((e) => [e.alertId!, String(e.service)]));
  const actions: ObservedAction[] = events
    .filter((e) => e.event === 'action_started' && e.actionId)
    .map((e) => {
      const failed = events.find((f) => f.event === 'action_failed' && f.actionId === e.actionId);
      return {
        actionId: e.actionId!,
        service: String(e.service),
        action: String(e.action),
        ...(e.alertId ? { alertId: e.alertId, alertService: alertService.get(e.alertId) } : {}),
        completed: events.some((c) => c.event === 'action_completed' && c.actionId === e.actionId),
        ...(failed ? { failed: String(failed.reason ?? failed.error ?? 'no reason given') } : {}),
      };
    });
  let wrongActions = 0;
  for (const a of actions) {
    const want = expected[a.service];
    const wrong = want === undefined ? `${a.action} on ${a.service}, which had no fault` : a.action !== want ? `${a.action} on ${a.service}, whose fault calls for ${want}` : undefined;
    if (wrong) {
      wrongActions += 1;
      problems.push(`${wrong} (action ${a.actionId})`);
    }
    if (a.alertId && a.alertService !== a.service) problems.push(`${a.action} ${a.actionId} on ${a.service} answered alert ${a.alertId} of ${a.alertService ?? 'an unknown service'}`);
    if (a.failed) problems.push(`${a.action} ${a.actionId} on ${a.service} failed: ${a.failed}`);
    else if (!a.completed) problems.push(`${a.action} ${a.actionId} on ${a.service} never completed`);
  }
  for (const [service, want] of Object.entries(expected)) {
    const n = actions.filter((a) => a.service === service && a.action === want).length;
    if (n === 0) problems.push(`no ${want} of ${service}`);
    if (want === 'migrate' && n > 1) problems.push(`${n} migrations of ${service}, expected 1`);
  }
  for (const e of events.filter((x) => ERROR_EVENTS.has(x.event))) {
    problems.push(`${e.event}${e.service ? ` on ${String(e.service)}` : ''}: ${String(e.error ?? e.reason ?? JSON.stringify(e))}`);
  }
  const retried = events.filter((e) => e.event === 'update_retry' && mentionsOutOfSequence(e)).length;
  const unhandled = events.filter((e) => e.event !== 'update_retry' && mentionsOutOfSequence(e));
  for (const e of unhandled) if (!ERROR_EVENTS.has(e.event) && e.event !== 'action_failed') problems.push(`update out of sequence left in ${e.event}${e.service ? ` on ${String(e.service)}` : ''}`);
  const ignoredAlerts: Record<string, number> = {};
  for (const e of events.filter((x) => x.event === 'alert_ignored')) ignoredAlerts[String(e.reason)] = (ignoredAlerts[String(e.reason)] ?? 0) + 1;
  return {
    actions,
    wrongActions,
    failedActions: actions.filter((a) => a.failed).length,
    outOfSequenceRetried: retried,
    outOfSequenceUnhandled: unhandled.length,
    ignoredAlerts,
    problems,
  };
}
