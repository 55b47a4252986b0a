/**
 * `npm run bench:manager-scale`: the manager on a simulated swarm of 100 nodes, 1,000 services and
 * 10,000 tasks (no lab, no Docker). The real manager (server.ts wiring, bundled as for its image)
 * runs in a child process on 127.0.0.1; this process plays the 100 agents over keep-alive HTTP:
 *
 * 1. every node reports its 100 containers once, then keeps reporting once a second;
 * 2. alerts, one at a time, about tasks drawn from all 10,000 (30 % scale-up, 10 % naming a node the
 *    task is not on): decision latency T3 − T2 from the manager's /events, by the path each took;
 *    the actions it decides run against the simulated swarm (which takes the lab's 1.9 s + 1.4 s to
 *    move a task, and answers every call at once);
 * 3. /report flooded by `concurrency` connections: reports/s and containers/s, with 100 containers
 *    per report and then with 20 (the PRD's node); then the same over `concurrency` report streams at
 *    once, 20 reports a stream, as the agents send them;
 * 4. with the child stopped, in this process without HTTP: the manager's own cost per report, and
 *    one scale-down tick when manager.services lists all 1,000 services.
 *
 * The manager's CPU time and RSS come from /proc/<pid> of the child, the machine's busy cores from
 * /proc/stat. Figures are printed, nothing is asserted. Bounded to 140 s.
 *
 *   npm run bench:manager-scale -- [--alerts 3000] [--warm-up 200] [--rate 100] [--seconds 10] [--concurrency 8]
 *   (--rate 0: each alert as soon as the previous one is answered)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { nowMs } from '../../../system/shared/event-logger.ts';
import { JsonPoster } from './json-poster.ts';
import { ManagerProcess } from './manager-process.ts';
import { readMeter, usageBetween } from './process-meter.ts';
import { reportCeiling, scaleDownTick } from './in-process-costs.ts';
import { alertSubjects, runDecisionPhase, type DecisionPhase } from './scale-alerts.ts';
import { printCeiling, printCheckpoints, printDecisions, printIngestion, type Checkpoint, type IngestionRow } from './scale-figures.ts';
import { BackgroundReports, flood, NodeReports, streamFlood } from './scale-reports.ts';
import { LAB_TIMING } from './simulated-swarm.ts';
import { buildLayout, SCALE_SHAPE } from './swarm-layout.ts';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '3000' },
    'warm-up': { type: 'string', default: '200' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
  },
});

function whole(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: got ${JSON.stringify(raw)}, expected a whole number from ${min} to ${max}`);
  return n;
}

const alerts = whole('alerts', values.alerts, 100, 20_000);
const warmUp = whole('warm-up', values['warm-up'], 0, 5000);
const rate = whole('rate', values.rate, 0, 10_000);
const seconds = whole('seconds', values.seconds, 1, 30);
const concurrency = whole('concurrency', values.concurrency, 1, 64);
const DEFAULT_BODY_LIMIT = 16_384;
const SMALL_NODE = 20;
const LIMIT_MS = 140_000;

const watchdog = setTimeout(() => {
  console.error(`bench:manager-scale: still running after ${LIMIT_MS / 1000} s, giving up`);
  process.exit(2);
}, LIMIT_MS);
watchdog.unref();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();

const layout = buildLayout(SCALE_SHAPE);
const perNode = layout.nodes.map((n) => layout.tasks.filter((t) => t.nodeId === n.id).length);
const replicas = layout.services.flatMap((s) => (s.replicas === null ? [] : [s.replicas]));
const reports = new NodeReports(layout, SCALE_SHAPE.seed + 1);
const smallReports = new NodeReports(layout, SCALE_SHAPE.seed + 1, SMALL_NODE);
const reportBytes = reports.maxBytes();
const dirty = git('status', '--porcelain', '--', 'system').split('\n').filter(Boolean).length;
console.log(
  `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${dirty} uncommitted file(s) under system/` : ''}; node ${process.version}; ` +
    `${SCALE_SHAPE.nodes} nodes, ${layout.services.length} services (${replicas.length} replicated with ${Math.min(...replicas)}–${Math.max(...replicas)} replicas, ` +
    `${layout.services.length - replicas.length} global), ${layout.tasks.length} tasks, ${Math.min(...perNode)}–${Math.max(...perNode)} per node`,
);
const lineBytes = reports.maxLineBytes();
const fits = (n: number) => (n <= DEFAULT_BODY_LIMIT ? 'fits' : 'DOES NOT FIT');
console.log(`largest report: ${reportBytes} bytes in entries (POST /report), ${lineBytes} in columns (a /report/stream line); manager.body_limit default ${DEFAULT_BODY_LIMIT}: ${fits(reportBytes)}, ${fits(lineBytes)}`);

const token = randomBytes(16).toString('hex');
const checkpoints: Checkpoint[] = [];
const ingestion: IngestionRow[] = [];
let phase: DecisionPhase | undefined;
let swarmCalls = 'n/a (the manager did not stop cleanly)';
{
  await using manager = await ManagerProcess.start(SCALE_SHAPE, LAB_TIMING, token);
  const checkpoint = async (label: string) => checkpoints.push({ label, meter: readMeter(manager.pid), memory: await manager.memory() });
  const alertPoster = new JsonPoster(manager.address, token, 1);
  const reportPoster = new JsonPoster(manager.address, token, concurrency);
  const measureFlood = async (label: string, nodeReports: NodeReports, s: number, streams = false) => {
    const run = (sec: number) => (streams ? streamFlood(manager.address, token, nodeReports, sec, concurrency) : flood(reportPoster, nodeReports, sec, concurrency));
    await run(1); // warm-up, not counted
    const [m0, c0] = [readMeter(manager.pid), readMeter(process.pid)];
    const result = await run(s);
    ingestion.push({ label, result, manager: usageBetween(m0, readMeter(manager.pid)), client: usageBetween(c0, readMeter(process.pid)) });
  };
  try {
    await checkpoint('started: bundled, inventory of 1,000 services loaded');
    for (const n of reports.nodes) {
      const a = await reportPoster.post('/report', n.body(nowMs()));
      if (a.status !== 202) throw new Error(`first report of ${n.hostname}: ${a.status} ${a.body}`);
    }
    await checkpoint(`every node reported once (${layout.tasks.length} containers cached)`);

    const background = new BackgroundReports(reportPoster, reports);
    try {
      await pause(1000);
      phase = await runDecisionPhase(alertPoster, manager.address, alertSubjects(layout, warmUp + alerts, SCALE_SHAPE.seed + 2), warmUp, rate);
    } finally {
      background.stop();
    }
    console.log(`background reports during the alert phase: ${background.sent} accepted, ${background.failed} failed`);
    await pause(500);
    await checkpoint(`${warmUp + alerts} alerts decided, their actions ended`);

    await measureFlood(`100 containers per report, ${concurrency} connections, ${seconds} s`, reports, seconds);
    await checkpoint(`${seconds} s of /report at full rate`);
    await measureFlood(`${SMALL_NODE} containers per report, ${concurrency} connections, ${Math.ceil(seconds / 2)} s`, smallReports, Math.ceil(seconds / 2));
    await checkpoint(`${Math.ceil(seconds / 2)} s more with ${SMALL_NODE} containers per report`);
    await measureFlood(`100 containers per report, ${concurrency} streams, ${seconds} s`, reports, seconds, true);
    await checkpoint(`${seconds} s of /report/stream at full rate`);
    await measureFlood(`${SMALL_NODE} containers per report, ${concurrency} streams, ${Math.ceil(seconds / 2)} s`, smallReports, Math.ceil(seconds / 2), true);
    await checkpoint(`${Math.ceil(seconds / 2)} s more with ${SMALL_NODE} containers per report`);
  } finally {
    alertPoster.close();
    reportPoster.close();
    const stopped = await manager.stop();
    if (stopped) swarmCalls = `${stopped.swarmCalls} calls, ${stopped.swarmUpdates} service updates`;
  }
}
const beforeCosts = readMeter(process.pid);
const ceiling = reportCeiling(layout, reports);
const tick = await scaleDownTick(layout, reports);
const costsUse = usageBetween(beforeCosts, readMeter(process.pid));

if (phase) printDecisions(phase, rate, swarmCalls);
printIngestion(ingestion);
printCheckpoints(checkpoints);
printCeiling(ceiling, costsUse.machineBusyCores);
console.log(`scale-down tick with manager.services listing all ${tick.services} services, ${layout.tasks.length} containers cached: median ${tick.medianMs.toFixed(1)} ms, max ${tick.maxMs.toFixed(1)} ms (in-process; no alert is decided meanwhile)`);
console.log(
  '\nBounds: one manager process (a single JavaScript thread) and this client share a 2-core machine with whatever else runs on it ' +
    '("machine busy cores" counts every process); the simulated swarm answers every call at once, so an action decision leaves out ' +
    "one real Docker call (GET /tasks of the service) and the inventory refreshes (every second, by the node watch) leave out parsing a real " +
    "1,000-service listing; the manager's event lines go to a discarded stdout, not through a log driver.",
);
