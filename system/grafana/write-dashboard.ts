/** `npm run grafana:dashboard`: writes the dashboard source (dashboard.ts) as the JSON Grafana provisions. */
import { writeFileSync } from 'node:fs';
import { DASHBOARD_FILE, dashboardJson } from './dashboard-file.ts';

writeFileSync(DASHBOARD_FILE, dashboardJson());
console.log(`wrote ${DASHBOARD_FILE}`);
