import type { EventRecord } from '../../shared/event-logger.ts';
import type { ScenarioName } from '../../shared/types.ts';
import { Counter, Histogram, renderGauge } from './exposition.ts';
import type { ActionKind } from './types.ts';

const SCENARIOS: readonly ScenarioName[] = ['scenario1_migration', 'scenario2_scaling'];
const ACTIONS: readonly ActionKind[] = ['migrate', 'scale_up', 'scale_down', 'evacuate'];
const NODE_VERDICTS: Readonly<Record<string, string>> = {
  node_failure_suspected: 'suspected',
  node_failure_ruled_out: 'ruled_out',
  node_suspicion_cleared: 'cleared',
  node_failure_detected: 'detected',
  node_restored: 'restored',
};
/** Alerts between arrival and decision, and actions between T4 and their end, kept at most. */
const MAX_OPEN = 10_000;

/** What /metrics reads from the manager's state at scrape time. */
export interface GaugeReadings {
  inFlight: readonly { kind: ActionKind }[];
  cooldowns: readonly { action: ActionKind }[];
  reportingNodes: number;
}

function boundedSet<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  // an entry whose closing event never came (an exception between the two) must not grow the map forever
  if (map.size > MAX_OPEN) map.delete(map.keys().next().value as string);
}

/**
 * The manager's counters for /metrics, counted from the very events it logs (DESIGN.md §4), so
 * what a scrape shows and what the harness reads from the logs agree. Each event costs a few map
 * updates: counting never delays a decision.
 */
export class ManagerMetrics {
  private readonly received = new Counter(
    'swarmguard_manager_alerts_received_total',
    'Valid alerts received from agents (alert_received, T2), by scenario; copies of an alert id included.',
    SCENARIOS.map((scenario) => ({ scenario })),
  );
  private readonly accepted = new Counter('swarmguard_manager_alerts_accepted_total', 'Alerts decided to act on (decision_made), by scenario and action.');
  private readonly ignored = new Counter('swarmguard_manager_alerts_ignored_total', 'Alerts not acted on (alert_ignored), by scenario and reason.');
  private readonly decisionLatency = new Histogram(
    'swarmguard_manager_decision_latency_seconds',
    "T3 - T2: from an alert's arrival to its decision, including the swarm look-ups of the stale check, by scenario.",
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  private readonly started = new Counter(
    'swarmguard_manager_actions_started_total',
    'Actions whose Docker call was issued (action_started, T4), by action.',
    ACTIONS.map((action) => ({ action })),
  );
  private readonly ended = new Counter(
    'swarmguard_manager_actions_total',
    'Actions that ended, by action and outcome (completed, failed); an action can fail before T4.',
    ACTIONS.flatMap((action) => [{ action, outcome: 'completed' }, { action, outcome: 'failed' }]),
  );
  private readonly duration = new Histogram(
    'swarmguard_manager_action_duration_seconds',
    'From T4 (action_started) to action_completed or action_failed, by action and outcome.',
    [0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300],
  );
  private readonly rejected = new Counter('swarmguard_manager_requests_rejected_total', 'Requests refused before any decision (request_rejected), by HTTP status.');
  private readonly nodeVerdicts = new Counter(
    'swarmguard_manager_node_verdicts_total',
    "The node-failure detection's verdicts on silent nodes: suspected, ruled_out (its ports answer), cleared (reports resumed), detected (failed), restored (back, exclusion lifted).",
    ['suspected', 'ruled_out', 'cleared', 'detected', 'restored'].map((verdict) => ({ verdict })),
  );
  private readonly failedRequests = new Counter('swarmguard_manager_requests_failed_total', 'Requests answered 500 (request_failed).', [{}]);
  /** Alert id → arrivals not yet decided (a copy of an id is decided at once, so the last is its own). */
  private readonly undecided = new Map<string, { scenario: string; t2: number }[]>();
  /** Action id → T4. */
  private readonly t4 = new Map<string, number>();
  /** When this manager began counting: a scraper that sees it change knows the counters restarted from 0. */
  private readonly startedAtSeconds = Date.now() / 1000;

  observe(e: EventRecord): void {
    switch (e.event) {
      case 'alert_received': {
        const scenario = String(e.scenario);
        this.received.inc({ scenario });
        if (e.alertId) {
          const open = this.undecided.get(e.alertId);
          if (open) open.push({ scenario, t2: e.t });
          else boundedSet(this.undecided, e.alertId, [{ scenario, t2: e.t }]);
        }
        break;
      }
      case 'decision_made': {
        // decisions of the scale-down loop have no alert; they show as actions
        if (!e.alertId) break;
        const open = this.undecided.get(e.alertId);
        const arrival = open?.pop();
        if (open?.length === 0) this.undecided.delete(e.alertId);
        const scenario = arrival?.scenario ?? 'unknown';
        if (arrival) this.decisionLatency.observe({ scenario }, Math.max(0, e.t - arrival.t2) / 1000);
        if (e.decision === 'ignore') this.ignored.inc({ scenario, reason: String(e.reason) });
        else this.accepted.inc({ scenario, action: String(e.decision) });
        break;
      }
      case 'action_started':
        this.started.inc({ action: String(e.action) });
        if (e.actionId) boundedSet(this.t4, e.actionId, e.t);
        break;
      case 'action_completed':
      case 'action_failed': {
        const labels = { action: String(e.action), outcome: e.event === 'action_completed' ? 'completed' : 'failed' };
        this.ended.inc(labels);
        const t4 = e.actionId ? this.t4.get(e.actionId) : undefined;
        if (t4 !== undefined) {
          this.duration.observe(labels, Math.max(0, e.t - t4) / 1000);
          this.t4.delete(e.actionId!);
        }
        break;
      }
      case 'request_rejected':
        this.rejected.inc({ status: String(e.status) });
        break;
      case 'request_failed':
        this.failedRequests.inc();
        break;
      default: {
        const verdict = NODE_VERDICTS[e.event];
        if (verdict) this.nodeVerdicts.inc({ verdict });
      }
    }
  }

  /** The exposition text: the counters as counted, the gauges as read now. */
  render(now: GaugeReadings): string {
    const byAction = (kinds: readonly ActionKind[]) => ACTIONS.map((action): [{ action: string }, number] => [{ action }, kinds.filter((k) => k === action).length]);
    return [
      this.received.render(),
      this.accepted.render(),
      this.ignored.render(),
      this.decisionLatency.render(),
      this.started.render(),
      this.ended.render(),
      this.duration.render(),
      renderGauge('swarmguard_manager_actions_in_flight', 'Services locked by an action in flight (one at a time per service), by action.', byAction(now.inFlight.map((a) => a.kind))),
      renderGauge('swarmguard_manager_cooldowns_active', 'Services cooling down after an action, by action.', byAction(now.cooldowns.map((c) => c.action))),
      renderGauge('swarmguard_manager_reporting_nodes', 'Nodes whose agent reported within the metrics TTL.', [[{}, now.reportingNodes]]),
      this.rejected.render(),
      this.failedRequests.render(),
      this.nodeVerdicts.render(),
      renderGauge('process_start_time_seconds', 'When this manager process began counting (Unix seconds).', [[{}, this.startedAtSeconds]]),
    ].join('');
  }
}
