/**
 * `npm run bench:manager`: the real manager on the lab over HTTP (takes the lab lock, deploys the
 * current build, leaves web-stress at one replica). Decision latency T3 − T2 from the manager's
 * /events and sustained alerts/s on /alert, for valid alerts during a migration cooldown.
 *
 *   npm run bench:manager -- [--alerts 2000] [--seconds 10] [--max-requests 20000] [--concurrency 32]
 *   npm run bench:manager -- --in-process [alerts]      (no lab: fake swarm, app.inject)
 */
import { parseArgs } from 'node:util';
import { loadLab, stateDir } from '../../lib/config/lab-config.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';
import { deploySystem } from '../../lib/cluster/deploy.ts';
import { runLabBench } from './lab-bench.ts';

const { values } = parseArgs({
  options: {
    'in-process': { type: 'boolean', default: false },
    alerts: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    'max-requests': { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
  },
  allowPositionals: true,
});

function whole(name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: got ${JSON.stringify(raw)}, expected a whole number from 1 to ${max}`);
  return n;
}

if (values['in-process']) {
  await import('../../../system/manager/bench/in-process.ts');
} else {
  const options = {
    sequential: whole('alerts', values.alerts, 20_000),
    seconds: whole('seconds', values.seconds, 25),
    maxRequests: whole('max-requests', values['max-requests'], 200_000),
    concurrency: whole('concurrency', values.concurrency, 256),
    log: (line: string) => console.log(line),
  };
  const lab = await loadLab();
  const release = await acquireLabLock(stateDir(lab), 'bench:manager');
  try {
    const d = await deploySystem(lab, options.log);
    options.log(`system deployed in ${d.seconds.toFixed(1)} s`);
    await runLabBench(lab, options);
  } finally {
    await release();
  }
}
