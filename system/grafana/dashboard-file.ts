import { fileURLToPath } from 'node:url';
import { swarmguardDashboard } from './dashboard.ts';

/** The provisioned file, next to this source. */
export const DASHBOARD_FILE = fileURLToPath(new URL('./dashboards/swarmguard.json', import.meta.url));

export function dashboardJson(): string {
  return `${JSON.stringify(swarmguardDashboard(), null, 2)}\n`;
}
