import type { Readable } from 'node:stream';
import { ProbeSet } from '../probe/probe-set.ts';
import { summarizeProbeSources } from '../probe/probe-summary.ts';
import { reactiveMttr } from '../probe/downtime.ts';
import { appTasks, resetApp, setServiceShape } from '../cluster/app-control.ts';
import { MANAGER_SERVICE } from '../config/system-specs.ts';
import { runningTasks, waitHealthy } from '../cluster/deploy.ts';
import type { LabNodes } from '../cluster/lab-port.ts';
import { waitFor } from '../events/wait-for.ts';
import { corrections } from '../events/clock-offset.ts';
import type { ClockOffset } from '../config/types.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult } from './context.ts';
import { defineExperiment } from './experiment.ts';

const STEADY_MS = 2000;
const RECOVERY_LIMIT_MS = 60_000;
/** How long the node's daemon gets to report the container's death before the kill call's return stands in for it. */
const DIE_EVENT_WAIT_MS = 5000;
/** The events query reaches this far back, so that a node clock behind ours still has the die event inside the window. */
const EVENTS_LOOKBACK_MS = 10_000;
/** How far before the kill call a die event may lie and still be taken for clock noise rather than a wrong clock. */
const CLOCK_SLACK_MS = 100;

const KILL_CALL_LIMIT_MS = 10_000;

async function withDeadline<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`, { cause: err });
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${limitMs} ms`)), limitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface KillTime {
  /** Epoch ms on the control host's clock. */
  t: number;
  /** die event: the daemon saw the container die; kill returned: that event could not be had (`why` says why). */
  source: 'docker-die-event' | 'kill-returned';
  why?: string;
}

/**
 * First `die` event of the container in the stream, in ms on the daemon's clock; null when the stream
 * ends or `timeoutMs` passes without one. The stream is closed either way.
 */
function firstDie(stream: Readable, containerId: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const done = (fn: () => void) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      fn();
    };
    const timer = setTimeout(() => done(() => resolve(null)), timeoutMs);
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const t = dieTime(line, containerId);
        if (t !== null) return done(() => resolve(t));
      }
    });
    stream.on('end', () => done(() => resolve(dieTime(buffered, containerId))));
    stream.on('error', (err: Error) => done(() => reject(err)));
  });
}

function dieTime(line: string, containerId: string): number | null {
  if (line.trim() === '') return null;
  let e: { Action?: string; status?: string; id?: string; Actor?: { ID?: string }; time?: number; timeNano?: number };
  try {
    e = JSON.parse(line) as typeof e;
  } catch {
    return null; // a partial or foreign line: the filter asked for die events only, the next line may be one
  }
  const id = e.Actor?.ID ?? e.id ?? '';
  if ((e.Action ?? e.status) !== 'die' || !id.startsWith(containerId)) return null;
  if (typeof e.timeNano === 'number' && Number.isFinite(e.timeNano)) return e.timeNano / 1e6;
  return typeof e.time === 'number' && Number.isFinite(e.time) ? e.time * 1000 : null;
}

/**
 * The moment a kill took effect: the container's `die` event from its node's daemon, put on the
 * control host's clock by `correctionMs`; else the moment the kill call returned, never the moment
 * before the call (the MTTR would then include the call's own latency). Never throws: what went wrong
 * is in `why`.
 */
export async function killTime(
  nodes: Pick<LabNodes, 'engineEvents'>,
  where: { node: string; containerId: string; correctionMs: number },
  call: { calledAt: number; returnedAt: number },
  timeoutMs = DIE_EVENT_WAIT_MS,
): Promise<KillTime> {
  const { node, containerId, correctionMs } = where;
  const fallback = (why: string): KillTime => ({ t: call.returnedAt, source: 'kill-returned', why });
  const started = Date.now();
  const onNode = (ms: number) => ms - correctionMs;
  let timer: NodeJS.Timeout | undefined;
  let gaveUp = false;
  try {
    const opened = nodes.engineEvents(node, {
      containerId,
      event: 'die',
      since: Math.floor(onNode(call.calledAt - EVENTS_LOOKBACK_MS) / 1000),
      // a moment past the return, so the daemon closes the stream by itself if the event never comes
      until: Math.ceil(onNode(call.returnedAt + timeoutMs) / 1000),
    });
    // a stream that opens (or a request that fails) after we gave up is closed and ignored
    opened.then((late) => gaveUp && late.destroy(), () => undefined);
    const stream = await Promise.race([
      opened,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          gaveUp = true;
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const die = await firstDie(stream, containerId, Math.max(0, timeoutMs - (Date.now() - started)));
    if (die === null) return fallback(`no die event of ${containerId} from ${node}'s Docker within ${timeoutMs} ms`);
    const t = die + correctionMs;
    if (t < call.calledAt - CLOCK_SLACK_MS || t > call.returnedAt + timeoutMs) {
      return fallback(
        `die event of ${containerId} on ${node} at ${(t - call.calledAt).toFixed(1)} ms from the kill call, ` +
          `outside [−${CLOCK_SLACK_MS} ms, ${(call.returnedAt - call.calledAt + timeoutMs).toFixed(1)} ms]: is ${node}'s clock offset measured?`,
      );
    }
    return { t, source: 'docker-die-event' };
  } catch (err) {
    return fallback(`reading ${node}'s Docker events for ${containerId}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Docker Swarm's own, reactive recovery: SwarmGuard's manager is stopped, the app's task is killed
 * with SIGKILL on its node, and the probe measures until a new container serves traffic.
 */
export async function baselineIteration(ctx: ExperimentContext, iteration: number, offsets: readonly ClockOffset[] = []): Promise<IterationResult> {
  const { lab, cluster } = ctx;
  const startedAt = epochNow();
  const [task] = await resetApp(lab, cluster);
  await setServiceShape(cluster, MANAGER_SERVICE, { replicas: 0 });
  await waitFor('manager stopped', async () => (await runningTasks(cluster, MANAGER_SERVICE)).length === 0, { timeoutMs: 30_000 });
  let probes: ProbeSet | undefined;
  try {
    probes = await ProbeSet.start(lab, { durationMs: STEADY_MS + RECOVERY_LIMIT_MS + 5000, experiment: 'baseline', runId: `baseline-${iteration}-${Date.now().toString(36)}`, log: ctx.log });
    await sleep(STEADY_MS);
    if (!cluster.hasNode(task.node)) throw new Error(`no Docker client for node ${task.node}`);
    const oldId = task.containerId.slice(0, 12);
    ctx.log(`baseline #${iteration}: kill -9 of ${oldId} on ${task.node}; probing from ${probes.sources.join(', ')}`);
    const calledAt = epochNow();
    await withDeadline(cluster.kill(task.node, task.containerId, 'SIGKILL'), KILL_CALL_LIMIT_MS, `kill -9 of ${oldId} on ${task.node}`);
    const returnedAt = epochNow();
    // looked up while the probes watch the recovery, so it costs the iteration no time
    const killing = killTime(cluster, { node: task.node, containerId: task.containerId, correctionMs: corrections(offsets)[task.node] ?? 0 }, { calledAt, returnedAt });
    const live = probes;
    await waitFor(
      'a new container serving through the entrypoint',
      async () => reactiveMttr(await live.poll(), returnedAt, oldId) ?? undefined,
      { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 100 },
    ).catch(() => undefined); // judged below from the samples, also when it never recovered
    const kill = await killing;
    const killedAt = kill.t;
    if (kill.why) ctx.log(`baseline #${iteration}: kill time is when the kill call returned: ${kill.why}`);
    await sleep(1000);
    const { summary, batches, samples } = summarizeProbeSources(await probes.stop(), startedAt);
    // recovered when any source is served by the replacement: every source is on the control clock
    const mttr = reactiveMttr(samples, killedAt, oldId);
    const after = await appTasks(cluster, lab.app.service);
    const replacement = after.find((t) => t.state === 'running' && !t.containerId.startsWith(oldId));
    const record = {
      experiment: 'baseline',
      iteration,
      params: {
        killed: oldId, node: task.node, signal: 'SIGKILL', probeIntervalMs: lab.experiments.probe_interval_ms, probeTimeoutMs: lab.experiments.probe_timeout_ms, probeSources: Object.keys(summary.sources),
        killTimeSource: kill.source,
        killCallMs: round1(returnedAt - calledAt),
        ...(kill.source === 'docker-die-event' ? { killDieAfterCallMs: round1(kill.t - calledAt) } : { killTimeFallback: kill.why }),
      },
      startedAt,
      endedAt: epochNow(),
      events: [],
      probes: { summary },
      outcome: mttr ? ('passed' as const) : ('error' as const),
      ...(mttr ? {} : { error: `no new container served within ${RECOVERY_LIMIT_MS} ms of the kill` }),
      measurements: {
        mttr_ms: mttr?.mttrMs ?? null,
        downtime_ms: summary.downtimeMs,
        failed_requests: summary.failed,
      },
      slo: [],
      marks: [{ label: 'kill -9', t: killedAt }, ...(mttr ? [{ label: 'recovered', t: mttr.recoveredBy.sentAt }] : [])],
    };
    ctx.log(
      `baseline #${iteration}: MTTR ${mttr ? `${(mttr.mttrMs / 1000).toFixed(2)} s` : 'not recovered'}, downtime ${summary.downtimeMs.toFixed(0)} ms, ` +
        `failed ${Object.entries(summary.sources).map(([k, v]) => `${k} ${v.failed}/${v.samples}`).join(', ')}; replacement on ${replacement?.node ?? '?'}`,
    );
    return { record, probes: batches };
  } finally {
    await probes?.stop().catch((err: Error) => ctx.log(`baseline #${iteration}: stopping the probes: ${err.message}`));
    await setServiceShape(cluster, MANAGER_SERVICE, { replicas: 1 });
    await waitHealthy(lab, cluster);
  }
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

export const baseline = defineExperiment({
  name: 'baseline',
  title: "baseline: Docker Swarm's reactive recovery after kill -9",
  variants: [{ label: 'kill -9', run: (ctx, i, o) => baselineIteration(ctx, i, o) }],
  thresholds: [
    { name: 'baseline-outage-seen', metric: 'failed_requests', op: '>', limit: 0, description: 'Baseline: the probe saw the kill (a kill without failed requests measured nothing)' },
    { name: 'baseline-recovered', metric: 'mttr_ms', op: '>', limit: 0, description: 'Baseline: a new container answered after the kill' },
  ],
});
