import { readFileSync } from 'node:fs';
import { setLogger } from '@influxdata/influxdb-client';
import type { EventLogger } from './event-logger.ts';

/** Where a component writes points: an InfluxDB 2 write API (InfluxDB itself, or VictoriaMetrics). */
export interface InfluxSettings {
  url: string;
  org: string;
  bucket: string;
  token: string;
}

export class InfluxSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfluxSettingsError';
  }
}

/**
 * INFLUX_URL, INFLUX_ORG, INFLUX_BUCKET and INFLUX_TOKEN (or the file INFLUX_TOKEN_FILE): the
 * agent's variables, so one stack file sets both components. null when INFLUX_URL is not set; with
 * it set, every other one is required.
 */
export function influxSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): InfluxSettings | null {
  const url = env.INFLUX_URL?.trim();
  if (!url) return null;
  if (!/^https?:\/\/[^/]+/.test(url)) throw new InfluxSettingsError(`INFLUX_URL: got ${JSON.stringify(url)}, expected an http:// or https:// URL`);
  let token = env.INFLUX_TOKEN?.trim();
  if (!token && env.INFLUX_TOKEN_FILE) {
    try {
      token = read(env.INFLUX_TOKEN_FILE).trim();
    } catch (err) {
      throw new InfluxSettingsError(`INFLUX_TOKEN_FILE (${env.INFLUX_TOKEN_FILE}): cannot read: ${(err as Error).message}`);
    }
  }
  const missing = [
    ...(env.INFLUX_ORG?.trim() ? [] : ['INFLUX_ORG']),
    ...(env.INFLUX_BUCKET?.trim() ? [] : ['INFLUX_BUCKET']),
    ...(token ? [] : ['INFLUX_TOKEN or INFLUX_TOKEN_FILE']),
  ];
  if (missing.length > 0) throw new InfluxSettingsError(`${missing.join(', ')}: expected a value because INFLUX_URL is set`);
  return { url, org: env.INFLUX_ORG!.trim(), bucket: env.INFLUX_BUCKET!.trim(), token: token! };
}

/**
 * The client logs each failed attempt to the console; the writers already see those failures and
 * log them once per outage, so they go to debug. Anything else the client says is worth a warning.
 * setLogger is process-wide: a component calls this once, for its one writer.
 */
export function routeInfluxClientLog(events: EventLogger): void {
  const log = (message: string, error: unknown) => {
    const fields = { event: 'influx_client', message, reason: error instanceof Error ? error.message : undefined };
    if (message.startsWith('Write to InfluxDB')) events.log.debug(fields);
    else events.log.warn(fields);
  };
  setLogger({ error: log, warn: log });
}
