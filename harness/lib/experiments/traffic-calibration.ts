import { cpus } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { LabConfig } from '../lab-config.ts';
import { LoadGenerators, splitRates } from '../load-generators.ts';
import { parseLoadLog } from '../load-script.ts';
import { epochNow, sleep } from './context.ts';
import {
  CalibrationError,
  median,
  planTraffic,
  requestCost,
  wholeRates,
  type PlanInput,
  type StepSample,
  type WorkCosts,
  type WorkRequest,
  type TrafficPlan,
  type TrafficTargets,
} from './traffic-plan.ts';

/** What a calibration measured and what it chose: goes into the journal as it is. */
export interface Calibration {
  /** The CPU limit of the replica while it was measured. */
  measuredAtCpus: number;
  steps: (StepSample & { name: string; url: string; samples: number })[];
  costs: WorkCosts;
  /** The planned request measured on its own, against what the model predicted. */
  checked: { request: WorkRequest; cpuMs: number; mbpsPerRps: number };
  idleCpuMsPerS: number;
  plan: TrafficPlan;
  durationMs: number;
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
/** Calibration steps aim the replica at this share of its limit: well clear of every rule. */
const STEP_CPU_PCT = 45;

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
 * rules: CPU-only steps at about 45 % CPU with little network, steps with answers at about half the
 * network target, which lies between the two network thresholds where no rule matches.
 */
export async function calibrateTraffic(lab: LabConfig, opts: CalibrationOptions): Promise<Calibration> {
  const started = Date.now();
  const tr = lab.experiments.traffic;
  const shared = lab.kind === 'local';
  const steps: Calibration['steps'] = [];
  const gens = await LoadGenerators.connect(lab, { runId: opts.runId, log: () => {} });
  try {
    const step = async (name: string, url: string | null, rps: number): Promise<StepSample> => {
      const s = await measureStep(gens, opts.metricsUrl, name, url, rps, url === null ? 4 : tr.calibration_step_s, shared);
      steps.push({ ...s, name, url: url ?? '', samples: s.samples });
      opts.log(`calibration ${name}: ${s.rps.toFixed(1)}/${rps.toFixed(1)} rps → cpu ${s.cpuPct.toFixed(1)} %, ${s.netMbps.toFixed(2)} Mbps${s.hostBusyCores !== null ? `, host ${s.hostBusyCores.toFixed(2)} cores` : ''}`);
      return s;
    };
    const workUrl = (iterations: number, kb: number) => `${opts.url}/api/work?iterations=${iterations}&kb=${kb}`;
    const halfBudgetMs = (((STEP_CPU_PCT - 0) / 100) * opts.limitCpus * 1000);
    const idle = await step('idle', null, 0);
    const idleCpuMsPerS = (idle.cpuPct / 100) * opts.limitCpus * 1000;

    // CPU work alone: a first cost, raised in rate until the rise stands clear of noise
    let probeRps = PROBE_RPS;
    let probe: StepSample | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      probe = await step(`work-probe-${attempt + 1}`, workUrl(PROBE_ITERATIONS, 0), probeRps);
      const rise = probe.cpuPct - idle.cpuPct;
      if (rise >= 8 || probe.rps < probe.plannedRps * 0.9) break;
      probeRps = Math.min(probeRps * Math.min(8, 20 / Math.max(rise, 1)), 200);
    }
    // then near the request's CPU of pi_request_cpu_ms (requests small enough not to hold the app's
    // event loop, and the health check queued behind it, for long; large enough that a generator's
    // process per request is not most of the host's cost): the line through two measurements gives
    // the fixed cost of a request and the cost of an iteration
    const measured: { iterations: number; cpuMs: number; hostMs: number | null }[] = [{ ...requestCost('work (probe)', idle, probe!, opts.limitCpus), iterations: PROBE_ITERATIONS }];
    let guess = nextIterations(tr.pi_request_cpu_ms, measured);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const sample = await step(`work-${attempt}`, workUrl(guess.iterations, 0), Math.max(1, (halfBudgetMs - idleCpuMsPerS) / guess.cpuMs));
      measured.push({ ...requestCost(`work (${guess.iterations} iterations)`, idle, sample, opts.limitCpus), iterations: guess.iterations });
      if (Math.abs(measured[measured.length - 1].cpuMs - tr.pi_request_cpu_ms) <= tr.pi_request_cpu_ms / 4) break;
      guess = nextIterations(tr.pi_request_cpu_ms, measured.slice(-2));
    }
    const line = fitLine(measured.slice(-2));
    const cpuOnly = measured[measured.length - 1];

    // answers alone: their network, and what they cost beyond the fixed part
    const kbProbe = tr.data_kb;
    const halfNetMbps = ((opts.targets.networkPct / 100) * opts.targets.linkMbps) / 2;
    const answers = await step('answers', workUrl(1000, kbProbe), Math.max(1, halfNetMbps / ((kbProbe * 8 * 1024) / 1e6)));
    const answerCost = requestCost(`answers of ${kbProbe} KiB`, idle, answers, opts.limitCpus, 'network');
    const costs: WorkCosts = {
      fixedMs: line.fixedMs,
      perIterationMs: line.perIterationMs,
      perKibMs: Math.max(0, answerCost.cpuMs - line.fixedMs - line.perIterationMs * 1000) / kbProbe,
      mbpsPerKibRps: answerCost.mbpsPerRps / kbProbe,
      hostOverheadMs: cpuOnly.hostMs === null ? null : Math.max(0, cpuOnly.hostMs - cpuOnly.cpuMs),
      hostPerKibMs: cpuOnly.hostMs === null || answerCost.hostMs === null ? null : Math.max(0, answerCost.hostMs - answerCost.cpuMs - (cpuOnly.hostMs - cpuOnly.cpuMs)) / kbProbe,
    };
    const planInput = (c: WorkCosts): PlanInput => ({
      costs: c,
      requestCpuMs: tr.pi_request_cpu_ms,
      idleCpuMsPerS,
      idleNetMbps: idle.netMbps,
      idleHostCores: idle.hostBusyCores,
      otherCoresPerLimitCpu: opts.otherCoresPerLimitCpu ?? 0,
      maxIdlePct: tr.max_idle_pct,
      sharedHostCores: shared ? cpus().length : null,
      hostBudgetPct: tr.host_budget_pct,
      workerCores: null,
    });
    const first = planTraffic(planInput(costs), opts.targets, opts.limits);

    // the planned request itself, at half a replica's level: what the model predicts is checked,
    // and the difference goes into the fixed cost (CPU) and the network per KiB
    const r = first.request;
    const check = await step('request', workUrl(r.iterations, r.kb), Math.max(1, (halfBudgetMs - idleCpuMsPerS) / r.cpuMs));
    const checked = requestCost(`work (${r.iterations} iterations, ${r.kb} KiB)`, idle, check, opts.limitCpus);
    const corrected: WorkCosts = {
      ...costs,
      fixedMs: Math.max(0, costs.fixedMs + checked.cpuMs - (costs.fixedMs + costs.perIterationMs * r.iterations + costs.perKibMs * r.kb)),
      mbpsPerKibRps: checked.mbpsPerRps > 0 ? checked.mbpsPerRps / r.kb : costs.mbpsPerKibRps,
      hostOverheadMs: checked.hostMs === null || costs.hostPerKibMs === null ? costs.hostOverheadMs : Math.max(0, checked.hostMs - checked.cpuMs - costs.hostPerKibMs * r.kb),
    };
    const plan = planTraffic(planInput(corrected), opts.targets, opts.limits);
    return { measuredAtCpus: opts.limitCpus, steps, costs: corrected, checked: { request: r, cpuMs: round2(checked.cpuMs), mbpsPerRps: round2(checked.mbpsPerRps) }, idleCpuMsPerS: round2(idleCpuMsPerS), plan, durationMs: Date.now() - started };
  } finally {
    await gens.stop();
  }
}

/** Fixed and per-iteration cost through two measurements; proportional when noise makes the line useless. */
export function fitLine(points: readonly { iterations: number; cpuMs: number }[]): { fixedMs: number; perIterationMs: number } {
  const last = points[points.length - 1];
  const prev = points.length > 1 ? points[points.length - 2] : undefined;
  if (prev && prev.iterations !== last.iterations) {
    const slope = (last.cpuMs - prev.cpuMs) / (last.iterations - prev.iterations);
    const fixed = last.cpuMs - slope * last.iterations;
    if (slope > 0 && fixed >= 0) return { fixedMs: fixed, perIterationMs: slope };
  }
  return { fixedMs: 0, perIterationMs: last.cpuMs / last.iterations };
}

/**
 * One step: `rps` requests per second to `url` (none for an idle step) from all generators for
 * `seconds`, the replica's /metrics sampled every second. The first two samples (the ramp in, and
 * the interval before the traffic) and the last (the traffic ending) are left out; what remains is
 * summarised by medians, so a single noisy sample does not move the result.
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
    // whole seconds of the load log inside the sampled window (a sample covers the second before it)
    const from = Math.ceil((kept[0].t - 1000) / 1000);
    const to = Math.floor(kept[kept.length - 1].t / 1000) - 1;
    const logs = (await gens.poll()).filter((l) => l.stream === stream);
    const perSecond = logs.flatMap((l) => parseLoadLog(l.text).perSecond);
    const sent = perSecond.filter((p) => p.second >= from && p.second <= to).reduce((n, p) => n + p.sent, 0);
    const failed = perSecond.reduce((n, p) => n + p.failed, 0);
    if (failed > 0) throw new CalibrationError(`calibration ${name}: ${failed} requests to ${url} failed`);
    achieved = sent / (to - from + 1);
  }
  const hosts = kept.map((k) => k.host).filter((h): h is number => h !== null);
  return {
    rps: achieved,
    plannedRps: rps,
    cpuPct: median(kept.map((k) => k.cpu)),
    netMbps: median(kept.map((k) => k.net)),
    hostBusyCores: hosts.length > 0 ? median(hosts) : null,
    samples: kept.length,
  };
}

async function fetchMetrics(url: string): Promise<{ cpu: number; net: number } | null> {
  const res = await fetch(url, { signal: AbortSignal.timeout(900) }).catch(() => undefined);
  if (!res?.ok) return null;
  const m = (await res.json()) as { cpu_percent: number; network_rx_mbps: number; network_tx_mbps: number };
  return { cpu: m.cpu_percent, net: m.network_rx_mbps + m.network_tx_mbps };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Iterations whose request should cost `targetMs`, and that predicted cost: proportional from one
 * measurement, from the line through the last two when there are two (a fixed cost per request plus
 * a cost per iteration), proportional again when noise made that line useless.
 */
export function nextIterations(targetMs: number, measured: readonly { iterations: number; cpuMs: number }[]): { iterations: number; cpuMs: number } {
  const last = measured[measured.length - 1];
  const prev = measured.length > 1 ? measured[measured.length - 2] : undefined;
  let perIteration = last.cpuMs / last.iterations;
  let fixed = 0;
  if (prev && prev.iterations !== last.iterations) {
    const slope = (last.cpuMs - prev.cpuMs) / (last.iterations - prev.iterations);
    const intercept = last.cpuMs - slope * last.iterations;
    if (slope > 0 && intercept >= 0 && intercept < targetMs) {
      perIteration = slope;
      fixed = intercept;
    }
  }
  const iterations = clamp(Math.round((targetMs - fixed) / perIteration / 1000) * 1000, 100_000, 50_000_000);
  return { iterations, cpuMs: fixed + perIteration * iterations };
}
const round2 = (x: number) => Math.round(x * 100) / 100;

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
