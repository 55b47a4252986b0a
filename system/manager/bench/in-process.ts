/**
 * In-process benchmark of the manager (no network, fake swarm): decision latency T3 − T2 and
 * sustained alerts/s through the full fastify stack (`app.inject`: auth, JSON parse, zod, decide,
 * events) for valid alerts that arrive while the service is cooling down after a migration.
 * Run: npx tsx system/manager/bench.ts --in-process [alerts]   (without the flag: the real manager on the lab)
 */
import { EventLogger } from '../../shared/event-logger.ts';
import { buildApp } from '../src/app.ts';
import { systemClock } from '../src/clock.ts';
import { parseConfig } from '../src/config.ts';
import { RecoveryManager } from '../src/recovery-manager.ts';
import { FakeSwarm, node } from '../test/fake-swarm.ts';

const total = Number(process.argv.filter((a) => /^\d+$/.test(a))[0] ?? 20_000);
const token = 'bench-token-0123456789abcdef';
const swarm = new FakeSwarm(systemClock, [node('manager-1', 'manager'), node('worker-1'), node('worker-2'), node('worker-3')]);
swarm.startMs = 30;
swarm.stopMs = 10;
swarm.addService('web-stress', { replicas: 1, on: ['worker-3'], constraints: ['node.role==worker'] });
const config = parseConfig('manager: {migration: {poll_interval_ms: 20}}');
// default in-memory event history (2,000), as in production; pino writes to a sink that drops lines
const logger = new EventLogger('manager', 'bench', { write: () => undefined });
const manager = new RecoveryManager({ port: swarm, clock: systemClock, events: logger, config: () => config });
const app = buildApp({ manager, clock: systemClock, token });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

const task = swarm.liveTasks('web-stress')[0]!;
const alert = (i: number) =>
  JSON.stringify({
    id: `worker-3:${Date.now()}:${i}`,
    t0: Date.now() - 1000,
    t1: Date.now(),
    node: 'worker-3',
    service: 'web-stress',
    container: task.containerId!.slice(0, 12),
    task: task.id,
    scenario: 'scenario1_migration',
    m: { cpu: 86.1, mem: 31.2, mem_mb: 160, net: 2.1, rx: 1.2, tx: 0.9 },
  });

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

// one real migration first, so that every following alert meets a cooldown
const first = await app.inject({ method: 'POST', url: '/alert', headers, payload: alert(0) });
await manager.idle();
console.log(`warm-up alert: ${first.json().decision}; migration ${logger.since(0).some((e) => e.event === 'action_completed') ? 'completed' : 'NOT completed'}`);

// sequential: latency of one alert at a time, from its own T2 and T3 events
const seqN = Math.min(total, 5000);
const lat: number[] = [];
const reasons = new Set<unknown>();
for (let i = 0; i < seqN; i += 1) {
  const before = performance.timeOrigin + performance.now();
  await app.inject({ method: 'POST', url: '/alert', headers, payload: alert(i + 1) });
  const ev = logger.since(before - 1);
  const t2 = ev.find((e) => e.event === 'alert_received')?.t;
  const t3 = ev.find((e) => e.event === 'decision_made')?.t;
  if (t2 === undefined || t3 === undefined) throw new Error(`alert ${i + 1}: T2 or T3 missing`);
  lat.push(t3 - t2);
  for (const e of ev) if (e.event === 'alert_ignored') reasons.add(e.reason);
}
lat.sort((a, b) => a - b);

// sustained: `concurrency` alerts in flight at a time
const concurrency = 64;
let sent = 0;
const began = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (sent < total) {
      sent += 1;
      const res = await app.inject({ method: 'POST', url: '/alert', headers, payload: alert(100_000 + sent) });
      if (res.statusCode !== 202) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
    }
  }),
);
const seconds = (performance.now() - began) / 1000;
// a migration's update is the one that adds the temporary constraint (its clean-up removes the label)
const actions = swarm.updates.filter((u) => u.spec.Labels?.['swarmguard.temporary-constraints']).length;

console.log(`decision latency T3−T2 over ${lat.length} sequential alerts: median ${pct(lat, 50).toFixed(3)} ms, p99 ${pct(lat, 99).toFixed(3)} ms, max ${lat[lat.length - 1]!.toFixed(3)} ms`);
console.log(`ignore reasons seen: ${[...reasons].join(', ')}`);
console.log(`sustained: ${total} alerts, ${concurrency} in flight, ${seconds.toFixed(2)} s → ${Math.round(total / seconds)} alerts/s`);
console.log(`migration updates sent to the swarm during the whole run: ${actions} (expected 1)`);
await app.close();
