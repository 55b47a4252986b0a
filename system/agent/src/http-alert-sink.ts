import { setTimeout as sleepMs } from 'node:timers/promises';
import type { Alert } from '../../shared/alert-schema.ts';
import { PostError, type HttpPoster } from './http-poster.ts';
import type { AlertOutcome, AlertSink } from './types.ts';

export interface AlertDelivery {
  /** Per attempt, DESIGN.md §2.2: 1 s. */
  timeoutMs: number;
  /** Pause before the single retry: 100 ms. */
  retryDelayMs: number;
  sleep: (ms: number) => Promise<unknown>;
}

export const DEFAULT_ALERT_DELIVERY: AlertDelivery = { timeoutMs: 1000, retryDelayMs: 100, sleep: sleepMs };

/** 4xx other than 408/429 will be the same the second time: the payload or the token is wrong. */
function retriable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** The manager's answer names its decision and action; anything else in the body is not ours to read. */
function decisionOf(body: string): { decision?: string; actionId?: string } {
  try {
    const parsed = JSON.parse(body) as { decision?: unknown; actionId?: unknown };
    return {
      ...(typeof parsed.decision === 'string' ? { decision: parsed.decision } : {}),
      ...(typeof parsed.actionId === 'string' ? { actionId: parsed.actionId } : {}),
    };
  } catch {
    return {};
  }
}

/** POSTs alerts to `${MANAGER_URL}/alert`: one attempt, and one retry after 100 ms on transport errors and 5xx. */
export class HttpAlertSink implements AlertSink {
  private readonly delivery: AlertDelivery;

  constructor(
    private readonly poster: HttpPoster,
    delivery: Partial<AlertDelivery> = {},
  ) {
    this.delivery = { ...DEFAULT_ALERT_DELIVERY, ...delivery };
  }

  async send(alert: Alert): Promise<AlertOutcome> {
    const body = JSON.stringify(alert);
    let outcome = await this.attempt(body, 1);
    if (!outcome.ok && outcome.retry) {
      await this.delivery.sleep(this.delivery.retryDelayMs);
      outcome = await this.attempt(body, 2);
    }
    const { retry: _retry, ...result } = outcome;
    return result;
  }

  private async attempt(body: string, attempts: number): Promise<AlertOutcome & { retry: boolean }> {
    try {
      const res = await this.poster.post('/alert', body, this.delivery.timeoutMs);
      if (res.status >= 200 && res.status < 300) return { ok: true, attempts, status: res.status, ...decisionOf(res.body), retry: false };
      const detail = res.body.length > 200 ? `${res.body.slice(0, 197)}...` : res.body;
      return { ok: false, attempts, status: res.status, error: `HTTP ${res.status} ${detail}`.trim(), retry: retriable(res.status) };
    } catch (err) {
      const message = err instanceof PostError ? err.message : String(err);
      return { ok: false, attempts, error: message, retry: true };
    }
  }
}
