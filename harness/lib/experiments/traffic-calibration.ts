import { cpus } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { LabConfig } from '../config/lab-config.ts';
import { LoadGenerators, splitRates } from '../load/load-generators.ts';
import { parseLoadLog } from '../load/load-script.ts';
import { epochNow, sleep, type ExperimentContext } from './context.ts';
import {
  CalibrationError,
  median,
  requestHostMs,
  planTraffic,
  requestCost,
  shortOfPlan,
  stepSeconds,
  wholeRates,
  windowMean,
  type MeasuredRequest,
  type StepSample,
  type TrafficPlan,
  type TrafficTargets,
} from './traffic-plan.ts';

/** What a calibration measured and what it chose: goes into the journal as it is. */
export interface Calibration {
  /** The CPU limit of the replica while it was measured. */
  measuredAtCpus: number;
  steps: (StepSample & { name: string; url: string; samples: number })[];
  /** The request as measured at measuredAtCpus (the plan resizes its answer for another limit). */
  request: MeasuredRequest;
  perKibMs: number;
  idleCpuMsPerS: number;
  plan: TrafficPlan;
  durationMs: number;
  /** The calibration's run id and start: an iteration that reuses it names the one it took. */
  measuredBy: string;
  measuredAt: string;
  /** Taken from an earlier iteration of the same run (experiments.traffic.calibrate: once). */
  reused: boolean;
}

export interface CalibrationOptions {
  /** Where the traffic goes: the entrypoint, or a copy's frontend. */
  url: string;
  /** The replica's own /metrics, directly (not through the balancer). */
  metricsUrl: string;
  limitCpus: number;
  targets: TrafficTargets;
  /** Limits to plan for, largest first (the first is normally limitCpus). */
  limits: readonly number[];
  /** Busy host cores the rest of the experiment adds per CPU of limit (e.g. a concurrent stress). */
  otherCoresPerLimitCpu?: number;
  runId: string;
  log: (line: string) => void;
}

/** Start of the pi probe: small enough for any replica, and raised until its cost shows above noise. */
const PROBE_ITERATIONS = 1_000_000;
const PROBE_RPS = 3;
/**
 * The request steps run at this share of a replica's planned rate. Their network is then this
 * share of the network target, between the two network thresholds (35 and 65 % by default), where
 * no rule matches whatever the CPU; their CPU rise stands well above the idle replica's noise even
 * where that idle is a quarter of a small limit (0.25 CPU: 9-27 % between runs).
 */
const REQUEST_STEP_SHARE = 0.6;
/** Request steps at most, each resized towards pi_request_cpu_ms until one is within a quarter of it. */
const REQUEST_ATTEMPTS = 4;

interface Sampled {
  t: number;
  cpu: number;
  net: number;
  host: number | null;
}

async function hostJiffies(): Promise<{ busy: number; total: number } | null> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Measures what a request of /api/work costs the replica behind `opts.url` (per iteration of its
 * CPU work, per KiB of its answer, and fixed), plans the traffic, and checks the plan's request
 * with one more step. Every step is bounded (its scripts end by themselves) and stays clear of the
 * rules: CPU-only steps well below the CPU threshold with little network, steps with answers at
 * about half (answers alone) or 60 % (the request) of the network target, which lies between the
 * two network thresholds where no rule matches.
 */
export async function calibrateTraffic(lab: LabConfig, opts: CalibrationOptions): Promise<Calibration> {
  const started = Date.now();
  const tr = lab.experiments.traffic;
  const shared = lab.kind === 'local';
  const steps: Calibration['steps'] = [];
  const gens = await LoadGenerators.connect(lab, { runId: opts.runId, log: () => {} });
  try {
    const step = async (name: string, url: string | null, rps: number): Promise<StepSample> => {
      // the idle step twice as long: every cost is a rise above it
      const s = await measureStep(gens, opts.metricsUrl, name, url, rps, url === null ? 2 * tr.calibration_step_s : stepSeconds(rps, tr.calibration_step_s), shared);
      steps.push({ ...s, name, url: url ?? '', samples: s.samples });
      opts.log(`calibration ${name}: ${s.rps.toFixed(1)}/${rps.toFixed(1)} rps → cpu ${s.cpuPct.toFixed(1)} %, ${s.netMbps.toFixed(2)} Mbps${s.hostBusyCores !== null ? `, host ${s.hostBusyCores.toFixed(2)} cores` : ''}`);
      return s;
    };
    const workUrl = (iterations: number, kb: number) => `${opts.url}/api/work?iterations=${iterations}&kb=${kb}`;
    const idle = await step('idle', null, 0);
    const idleCpuMsPerS = (idle.cpuPct / 100) * opts.limitCpus * 1000;

    const probe = await probeWork(step, workUrl, idle);
    // the probe's rate is only a means: its cost is per request actually sent, so a generator that
    // fell short of it measured less load, not a wrong cost
    const probeCost = requestCost('work (probe)', idle, probe, opts.limitCpus, 'cpu', false);

    // answers alone: their network per KiB, and what they cost beyond a request's CPU work
    const kbProbe = tr.data_kb;
    const halfNetMbps = ((opts.targets.networkPct / 100) * opts.targets.linkMbps) / 2;
    const answers = await step('answers', workUrl(1000, kbProbe), Math.max(1, halfNetMbps / ((kbProbe * 8 * 1024) / 1e6)));
    const answerCost = requestCost(`answers of ${kbProbe} KiB`, idle, answers, opts.limitCpus, 'network');
    const mbpsPerKib = answerCost.mbpsPerRps / kbProbe;
    // the probe's request is mostly a request's fixed cost plus its work: what an answer adds beyond that
    const perKibMs = Math.max(0, answerCost.cpuMs - probeCost.cpuMs * 0.5) / kbProbe;
    const hostPerKibMs = answerCost.hostMs === null || probeCost.hostMs === null ? null : Math.max(0, answerCost.hostMs - probeCost.hostMs) / kbProbe;

    // the request itself: sized for pi_request_cpu_ms at the target (its answer carrying the
    // network share at that rate), measured at REQUEST_STEP_SHARE of a replica's rate, and resized while it
    // misses by over a quarter. Requests large enough that a generator's process per request is not
    // most of the host's cost.
    const target = tr.pi_request_cpu_ms;
    const replicaBudget = (opts.targets.cpuPct / 100) * opts.limitCpus * 1000 - idleCpuMsPerS;
    const rate = replicaBudget / target;
    const netMbps = (opts.targets.networkPct / 100) * opts.targets.linkMbps - idle.netMbps;
    const kb = Math.max(1, Math.round(netMbps / (rate * mbpsPerKib)));
    const kbMs = perKibMs * kb;
    const request = await sizeRequest({ step, workUrl, idle, probeCost, hostPerKibMs, limitCpus: opts.limitCpus, target, kb, kbMs, stepRps: Math.max(1, (REQUEST_STEP_SHARE * replicaBudget) / target) });
    const plan = planTraffic(
      {
        request,
        perKibMs,
        hostPerKibMs,
        idleCpuMsPerS,
        idleNetMbps: idle.netMbps,
        idleHostCores: idle.hostBusyCores,
        otherCoresPerLimitCpu: opts.otherCoresPerLimitCpu ?? 0,
        maxIdlePct: tr.max_idle_pct,
        sharedHostCores: shared ? cpus().length : null,
        hostBudgetPct: tr.host_budget_pct,
        workerCores: null,
      },
      opts.targets,
      opts.limits,
    );
    return {
      measuredAtCpus: opts.limitCpus,
      steps,
      request: roundRequest(request),
      perKibMs: round4(perKibMs),
      idleCpuMsPerS: round2(idleCpuMsPerS),
      plan,
      durationMs: Date.now() - started,
      measuredBy: opts.runId,
      measuredAt: new Date(started).toISOString(),
      reused: false,
    };
  } finally {
    await gens.stop();
  }
}

/** CPU work alone: a first cost, raised in rate until the rise stands clear of noise. */
async function probeWork(step: RequestSizing['step'], workUrl: RequestSizing['workUrl'], idle: StepSample): Promise<StepSample> {
  let probeRps = PROBE_RPS;
  let probe: StepSample | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    probe = await step(`work-probe-${attempt + 1}`, workUrl(PROBE_ITERATIONS, 0), probeRps);
    const rise = probe.cpuPct - idle.cpuPct;
    if (rise >= 8 || shortOfPlan(probe)) break;
    // at most ×4 a step: ×8 once took a probe from 3 to 24 requests/s, past what the generators
    // sharing a 2-core host could send
    probeRps = Math.min(probeRps * Math.min(4, 20 / Math.max(rise, 1)), 200);
  }
  return probe!;
}

interface RequestSizing {
  step: (name: string, url: string | null, rps: number) => Promise<StepSample>;
  workUrl: (iterations: number, kb: number) => string;
  idle: StepSample;
  probeCost: ReturnType<typeof requestCost>;
  hostPerKibMs: number | null;
  limitCpus: number;
  /** CPU ms the request should cost the replica (pi_request_cpu_ms), and its answer's size and cost. */
  target: number;
  kb: number;
  kbMs: number;
  stepRps: number;
}

/**
 * The request itself, measured in steps and resized towards the target while it misses by over a
 * quarter (at most REQUEST_ATTEMPTS steps).
 */
async function sizeRequest(r: RequestSizing): Promise<MeasuredRequest> {
  const { step, workUrl, idle, probeCost, hostPerKibMs, limitCpus, target, kb, kbMs, stepRps } = r;
  let perIteration = probeCost.cpuMs / PROBE_ITERATIONS; // proportional: the fixed cost counts as work for now
  let request: MeasuredRequest | undefined;
  // the host's cost of a request (generator, balancer, kernel) is the noisiest figure here: every
  // request step measures it, and the plan takes their median (see requestHostMs)
  const hostCosts: Array<{ cpuMs: number; hostMs: number }> = [];
  // each miss's cost per iteration, and the next size from their median: on a host whose cores
  // share a physical one, a request's CPU time swings with the neighbours' load, and resizing by
  // the last step alone swung 10 → 57 → 19 ms around a 37 ms target
  const perIterationSeen: number[] = [];
  for (let attempt = 1; attempt <= REQUEST_ATTEMPTS; attempt++) {
    const iterations = Math.min(50_000_000, Math.max(1000, Math.round(Math.max(target - kbMs, target * 0.2) / perIteration / 1000) * 1000));
    const sample = await step(`request-${attempt}`, workUrl(iterations, kb), stepRps);
    const cost = requestCost(`work (${iterations} iterations, ${kb} KiB)`, idle, sample, limitCpus);
    if (cost.hostMs !== null) hostCosts.push({ cpuMs: cost.cpuMs, hostMs: cost.hostMs });
    request = { iterations, kb, ...cost, hostMs: requestHostMs(hostCosts, { cpuMs: cost.cpuMs, kb }, { probe: probeCost, hostPerKibMs }) };
    if (Math.abs(cost.cpuMs - target) <= target / 4) break;
    perIterationSeen.push(Math.max(1e-9, (cost.cpuMs - kbMs) / iterations));
    perIteration = median(perIterationSeen);
  }
  return request!;
}

/** What makes two calibrations the same measurement (see calibrateTrafficOnce). */
export function calibrationKey(lab: Pick<LabConfig, 'kind'>, node: string, opts: Omit<CalibrationOptions, 'runId' | 'log'>): string {
  return JSON.stringify({
    url: opts.url,
    metricsPath: new URL(opts.metricsUrl).pathname,
    host: lab.kind === 'local' ? 'the local lab\'s host' : node,
    limitCpus: opts.limitCpus,
    targets: opts.targets,
    limits: opts.limits,
    otherCoresPerLimitCpu: opts.otherCoresPerLimitCpu ?? 0,
  });
}

/**
 * calibrateTraffic, measured once a run: a later iteration that calibrates the same thing (the same
 * URL, limit, targets and limits to plan for, on the same node, or on any node of a local lab, whose
 * nodes share one host's cores) reuses the first one's measurement and plan, and its journal says
 * so. With experiments.traffic.calibrate `every_iteration`, each iteration measures its own.
 */
export async function calibrateTrafficOnce(ctx: ExperimentContext, node: string, opts: CalibrationOptions): Promise<Calibration> {
  const { lab } = ctx;
  if (lab.experiments.traffic.calibrate === 'every_iteration') return calibrateTraffic(lab, opts);
  const key = calibrationKey(lab, node, opts);
  const earlier = ctx.measuredOnce.get(key) as Calibration | undefined;
  if (earlier) {
    opts.log(`calibration reused: measured by ${earlier.measuredBy} at ${earlier.measuredAt} in ${Math.round(earlier.durationMs / 1000)} s (experiments.traffic.calibrate: once)`);
    return { ...earlier, reused: true };
  }
  const measured = await calibrateTraffic(lab, opts);
  ctx.measuredOnce.set(key, measured);
  return measured;
}

/**
 * One step: `rps` requests per second to `url` (none for an idle step) from all generators for
 * `seconds`, the replica's /metrics sampled every second. The first two samples (the ramp in, and
 * the interval before the traffic) and the last (the traffic ending) are left out; what remains is
 * averaged (windowMean: the extremes left out once there are enough).
 */
async function measureStep(gens: LoadGenerators, metricsUrl: string, name: string, url: string | null, rps: number, seconds: number, shared: boolean): Promise<StepSample & { samples: number }> {
  const stream = `cal-${name}`;
  if (url !== null) {
    const rates = wholeRates(new Array(seconds).fill(rps));
    await gens.start([{ name: stream, url, shape: (i, n) => ({ rates: splitRates(rates, i, n) }), maxDurationS: seconds + 10, timeoutS: 5 }]);
  }
  const samples: Sampled[] = [];
  let prevHost = shared ? await hostJiffies() : null;
  await fetchMetrics(metricsUrl); // starts the replica's "since the previous call" interval now
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    const m = await fetchMetrics(metricsUrl);
    const host = shared ? await hostJiffies() : null;
    const busy = host && prevHost && host.total > prevHost.total ? ((host.busy - prevHost.busy) / (host.total - prevHost.total)) * cpus().length : null;
    prevHost = host;
    if (m) samples.push({ t: epochNow(), cpu: m.cpu, net: m.net, host: busy });
  }
  const kept = samples.slice(2, url === null ? undefined : -1);
  if (kept.length < 2) throw new CalibrationError(`calibration ${name}: ${samples.length} /metrics answers from ${metricsUrl} in ${seconds} s, too few to measure`);
  let achieved = 0;
  if (url !== null) {
    await gens.waitDone(15_000, 500);
    // requests launched inside the sampled window (a sample covers the second before it), by their logged start
    const from = kept[0].t - 1000;
    const to = kept[kept.length - 1].t;
    const logs = (await gens.poll()).filter((l) => l.stream === stream);
    const failed = logs.reduce((n, l) => n + parseLoadLog(l.text).failed, 0);
    if (failed > 0) throw new CalibrationError(`calibration ${name}: ${failed} requests to ${url} failed`);
    const starts = logs.flatMap((l) => l.text.split('\n').map((line) => Number(line.split(' ')[0])).filter((t) => Number.isFinite(t) && t > 0));
    achieved = starts.filter((t) => t >= from && t < to).length / ((to - from) / 1000);
  }
  const hosts = kept.map((k) => k.host).filter((h): h is number => h !== null);
  return {
    rps: achieved,
    plannedRps: rps,
    cpuPct: windowMean(kept.map((k) => k.cpu)),
    netMbps: windowMean(kept.map((k) => k.net)),
    hostBusyCores: hosts.length > 0 ? windowMean(hosts) : null,
    samples: kept.length,
  };
}

async function fetchMetrics(url: string): Promise<{ cpu: number; net: number } | null> {
  const res = await fetch(url, { signal: AbortSignal.timeout(900) }).catch(() => undefined);
  if (!res?.ok) return null;
  const m = (await res.json()) as { cpu_percent: number; network_rx_mbps: number; network_tx_mbps: number };
  return { cpu: m.cpu_percent, net: m.network_rx_mbps + m.network_tx_mbps };
}


const round2 = (x: number) => Math.round(x * 100) / 100;
const round4 = (x: number) => Math.round(x * 10000) / 10000;
const roundRequest = (r: MeasuredRequest): MeasuredRequest => ({ ...r, cpuMs: round2(r.cpuMs), mbpsPerRps: round2(r.mbpsPerRps), hostMs: r.hostMs === null ? null : round2(r.hostMs) });

/** The shares of lab.yaml's experiments.traffic against the rules the manager runs with. */
export function trafficTargets(lab: LabConfig, replicas = lab.experiments.traffic.target_replicas): TrafficTargets {
  const up = lab.swarmguard.config.scenarios.scenario2_scaling;
  const tr = lab.experiments.traffic;
  return {
    cpuPct: tr.target_cpu_pct,
    networkPct: tr.target_network_pct,
    replicas,
    linkMbps: lab.swarmguard.config.monitoring.link_mbps,
    cpuThreshold: up.cpu_threshold,
    networkThresholdMin: up.network_threshold_min,
    networkThresholdMax: lab.swarmguard.config.scenarios.scenario1_migration.network_threshold_max,
    // host-mode publishing allows one replica a node
    maxReplicas: lab.app.publish.mode === 'host' ? Math.min(up.max_replicas, lab.swarm.workers.length) : up.max_replicas,
  };
}
