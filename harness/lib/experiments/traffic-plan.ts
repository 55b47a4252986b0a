import { quantile } from '../report/stats.ts';

/**
 * Traffic sized to the service under test, from what a request costs on this lab (pure: the
 * measuring lives in traffic-calibration.ts). Two streams: /compute/pi makes a replica CPU-busy,
 * /api/data network-heavy. A calibration measures, on the real path (generators → entrypoint →
 * replica), what one request per second of each costs the replica: CPU in ms per request (so the
 * cost holds under any CPU limit), network in Mbps, and on a lab whose generators share the host
 * with the swarm, host CPU. planTraffic turns those costs into the rates that put each replica at
 * the declared share of its limit, one level per scale-up, or says why no rate can.
 */

/** Medians of one calibration step: the replica's own /metrics, and the rate the generators achieved. */
export interface StepSample {
  /** Requests per second the generators actually sent during the sampled window. */
  rps: number;
  /** Requests per second the step asked for. */
  plannedRps: number;
  cpuPct: number;
  netMbps: number;
  /** Busy cores of the host the generators run on (local lab: the whole lab's host), when known. */
  hostBusyCores: number | null;
}

export interface RequestCost {
  /** CPU of the replica per request, ms (the % of the limit per rps × the limit × 10). */
  cpuMs: number;
  /** (rx + tx) Mbps of the replica per request/s. */
  mbpsPerRps: number;
  /** Host CPU per request (app, balancer, the generators' own processes), ms; null when unknown. */
  hostMs: number | null;
}

export class CalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalibrationError';
  }
}

/** Median of a non-empty list; the calibration's answer to a noisy sample. */
export function median(values: readonly number[]): number {
  const m = quantile([...values].sort((a, b) => a - b), 0.5);
  if (m === null) throw new CalibrationError('median of no samples');
  return m;
}

/**
 * The average over a step's window from its per-second samples, the highest and the lowest left out
 * once there are 6 or more. A per-request cost needs the window's average: at a few requests a
 * second each second holds a whole number of them, and a median of such seconds is quantized (seen
 * at 0.25 CPU: 2 requests/s of 40 ms measured as 13, 25 and then 60 ms in three steps).
 */
export function windowMean(values: readonly number[]): number {
  if (values.length === 0) throw new CalibrationError('mean of no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const kept = sorted.length >= 6 ? sorted.slice(1, -1) : sorted;
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

/** Requests a loaded step's sampled window should hold, so that its average is not a few requests'. */
export const MIN_STEP_REQUESTS = 24;
/** Longest calibration step, s. */
export const MAX_STEP_S = 24;

/**
 * Seconds of a step at `rps`: `baseS`, longer at a low rate so that the sampled window (the step
 * less its first two seconds and its last) holds MIN_STEP_REQUESTS, at most MAX_STEP_S.
 */
export function stepSeconds(rps: number, baseS: number): number {
  if (rps <= 0) return baseS;
  return Math.min(MAX_STEP_S, Math.max(baseS, Math.ceil(MIN_STEP_REQUESTS / rps) + 3));
}

/** The generators must have sent what the step asked for, or the step measured the generators. */
export const MIN_ACHIEVED_SHARE = 0.9;
/** A step whose CPU rose less than this above idle measured noise, not a request's cost. */
export const MIN_RISE_PCT = 4;
/** Likewise for a stream sized by its network traffic, in Mbps. */
export const MIN_RISE_MBPS = 0.5;

/**
 * Whether the generators fell short of a step's rate: by a share and by a whole request a second
 * (at a few requests a second, one request more or less in the sampled window is not a shortfall).
 */
export function shortOfPlan(step: StepSample): boolean {
  return step.rps < step.plannedRps * MIN_ACHIEVED_SHARE && step.plannedRps - step.rps > 1;
}

/**
 * What one request of a stream costs, from an idle step and a loaded step measured under
 * `limitCpus`. A stream is sized by CPU (pi) or by network (data): the rise of that one must stand
 * clear of noise; the other may be small, and then is. Throws when the generators fell short of the
 * step's rate (unless `requireRate` is false: a probe whose rate is only a means to a cost, which is
 * per request actually sent) or the rise that matters is lost in noise.
 */
export function requestCost(name: string, idle: StepSample, step: StepSample, limitCpus: number, sizedBy: 'cpu' | 'network' = 'cpu', requireRate = true): RequestCost {
  if (step.rps <= 0) throw new CalibrationError(`calibration of ${name}: the load generators sent no request in the sampled window`);
  if (requireRate && shortOfPlan(step)) {
    throw new CalibrationError(
      `calibration of ${name}: the load generators sent ${step.rps.toFixed(1)} of ${step.plannedRps.toFixed(1)} requests/s ` +
        `(< ${MIN_ACHIEVED_SHARE * 100} %): they, not the service, are the bottleneck`,
    );
  }
  const rise = step.cpuPct - idle.cpuPct;
  if (sizedBy === 'cpu' && rise < MIN_RISE_PCT) {
    throw new CalibrationError(
      `calibration of ${name}: ${step.rps.toFixed(1)} requests/s raised the replica's CPU by ${rise.toFixed(1)} points ` +
        `(idle ${idle.cpuPct.toFixed(1)} %, loaded ${step.cpuPct.toFixed(1)} %), less than the ${MIN_RISE_PCT} needed to tell a cost from noise`,
    );
  }
  const netRise = step.netMbps - idle.netMbps;
  if (sizedBy === 'network' && netRise < MIN_RISE_MBPS) {
    throw new CalibrationError(
      `calibration of ${name}: ${step.rps.toFixed(1)} requests/s raised the replica's network by ${netRise.toFixed(2)} Mbps ` +
        `(idle ${idle.netMbps.toFixed(2)}, loaded ${step.netMbps.toFixed(2)}), less than the ${MIN_RISE_MBPS} needed to tell a cost from noise`,
    );
  }
  const hostRise = idle.hostBusyCores !== null && step.hostBusyCores !== null ? step.hostBusyCores - idle.hostBusyCores : null;
  return {
    cpuMs: ((Math.max(0, rise) / 100) * limitCpus * 1000) / step.rps,
    mbpsPerRps: Math.max(0, netRise) / step.rps,
    hostMs: hostRise === null ? null : (Math.max(0, hostRise) * 1000) / step.rps,
  };
}

/**
 * The host's cost of the request that will be sent, as the median of several estimates, each its
 * request's own CPU plus what the host paid beyond the replica's CPU (the path: generator, balancer,
 * kernel): one per request step, and one built from the work probe's path cost (the step at the
 * highest rate, where the host's noise weighs least per request) plus the answers' cost per KiB.
 * A request step runs at a few requests a second, where ±0.1 busy cores of noise is ±40 ms a
 * request: seen, 144 ms planned from the steps alone, where the probe and answers steps gave 84 ms,
 * and the plan refused a limit the host could carry. The median of the steps' whole host costs,
 * before, mixed in a lighter step's request: 45 ms planned for a request that cost 53 ms, and a level
 * the host could not carry passed the budget.
 */
export function requestHostMs(
  steps: ReadonlyArray<{ cpuMs: number; hostMs: number }>,
  request: { cpuMs: number; kb: number },
  model?: { probe: { cpuMs: number; hostMs: number | null }; hostPerKibMs: number | null },
): number | null {
  const path = (s: { cpuMs: number; hostMs: number }) => Math.max(0, s.hostMs - s.cpuMs);
  const estimates = steps.map((s) => path(s) + request.cpuMs);
  if (model && model.probe.hostMs !== null && model.hostPerKibMs !== null) {
    estimates.push(path({ cpuMs: model.probe.cpuMs, hostMs: model.probe.hostMs }) + model.hostPerKibMs * request.kb + request.cpuMs);
  }
  return estimates.length === 0 ? null : median(estimates);
}

/** The rules the traffic must cross, and the shares it aims at (lab.yaml experiments.traffic). */
export interface TrafficTargets {
  cpuPct: number;
  networkPct: number;
  replicas: number;
  linkMbps: number;
  cpuThreshold: number;
  networkThresholdMin: number;
  networkThresholdMax: number;
  maxReplicas: number;
}

/**
 * Whether traffic at these shares makes the manager scale 1 → … → replicas and no further: at level
 * k (k replicas) each replica is above both scale-up thresholds; once k + 1 share it, each is below
 * the CPU threshold (no further scale-up, and no migration either, which needs CPU above it).
 * Returns what is wrong, or nothing.
 */
export function targetProblems(t: TrafficTargets): string[] {
  const out: string[] = [];
  if (t.replicas > t.maxReplicas) out.push(`target_replicas ${t.replicas} is above the rules' max_replicas ${t.maxReplicas}`);
  if (t.cpuPct <= t.cpuThreshold) out.push(`target_cpu_pct ${t.cpuPct} does not exceed the scale-up rule's cpu_threshold ${t.cpuThreshold}`);
  if (t.cpuPct >= 100) out.push(`target_cpu_pct ${t.cpuPct} leaves no headroom below the limit`);
  if (t.networkPct <= t.networkThresholdMin) out.push(`target_network_pct ${t.networkPct} does not exceed network_threshold_min ${t.networkThresholdMin}`);
  const last = (t.replicas - 1) / t.replicas; // the share each replica keeps after the last scale-up
  if (t.cpuPct * last >= t.cpuThreshold) {
    out.push(`after the scale-up to ${t.replicas}, each replica would keep ${(t.cpuPct * last).toFixed(1)} % CPU, not below cpu_threshold ${t.cpuThreshold}: lower target_cpu_pct`);
  }
  return out;
}

export interface TrafficLevel {
  /** Replicas that share this level's traffic until the manager adds one. */
  replicas: number;
  /** Total requests per second of the level. */
  rps: number;
  /** What each of `replicas` replicas should reach, by the calibration. */
  expectedCpuPct: number;
  expectedNetworkPct: number;
}

/** One request of the traffic: /api/work with this much CPU work and this large an answer. */
export interface WorkRequest {
  iterations: number;
  kb: number;
  /** What it should cost the replica, by the calibration, ms of CPU. */
  cpuMs: number;
}

export interface TrafficPlan {
  limitCpus: number;
  request: WorkRequest;
  levels: TrafficLevel[];
  /** Busy host cores the last level should take (null: not known on this lab). */
  hostPeakCores: number | null;
  hostCores: number | null;
  /** Limits tried before this one and why each did not fit. */
  rejected: { limitCpus: number; why: string }[];
  /**
   * Set when no limit kept the last level within host_budget_pct and this one was taken as the
   * closest: the host the replicas share with the generators runs busier than the budget, which a
   * report must say next to the figures measured under it.
   */
  overHostBudget: string | null;
}

/** A request as measured on the lab: its shape and what it cost the replica (and the host). */
export interface MeasuredRequest {
  iterations: number;
  kb: number;
  cpuMs: number;
  mbpsPerRps: number;
  /** Host CPU per request (app, balancer, the generator's own processes); null when unknown. */
  hostMs: number | null;
}

export interface PlanInput {
  request: MeasuredRequest;
  /** CPU and host CPU of one more KiB answered: the request's answer is resized for another limit. */
  perKibMs: number;
  hostPerKibMs: number | null;
  /** The replica's own CPU with no traffic, ms per second (a per-replica cost). */
  idleCpuMsPerS: number;
  idleNetMbps: number;
  /** Busy host cores with no traffic; null when unknown. */
  idleHostCores: number | null;
  /** Cores of the host that generators and every replica share (the local lab); null: separate hosts. */
  sharedHostCores: number | null;
  /** At most this % of the shared host's cores may be busy at the last level. */
  hostBudgetPct: number;
  /** Cores of the smallest worker; a limit above it cannot be granted. */
  workerCores: number | null;
  /** Busy host cores that the rest of the experiment adds per CPU of limit (e.g. a concurrent stress at 85 % of it). */
  otherCoresPerLimitCpu?: number;
  /** A limit the idle replica alone fills above this % leaves too little room for the traffic to be smooth. */
  maxIdlePct?: number;
}

/**
 * The rate, per level, that puts each replica at targets.cpuPct of its limit, and the request's
 * answer resized so that rate carries targets.networkPct of the link, for the first of `limits`
 * (largest first) that the lab can carry. Throws a CalibrationError naming what was reached and
 * what bounds it when none can.
 */
export function planTraffic(input: PlanInput, targets: TrafficTargets, limits: readonly number[]): TrafficPlan {
  const problems = targetProblems(targets);
  if (problems.length > 0) throw new CalibrationError(`experiments.traffic cannot drive 1 → ${targets.replicas} replicas: ${problems.join('; ')}`);
  if (input.request.mbpsPerRps <= 0) throw new CalibrationError(`calibration: answers of ${input.request.kb} KiB added no network traffic at the replica`);
  const rejected: { limitCpus: number; why: string }[] = [];
  // a limit that fits everything but the host budget, by how far the last level overshoots it
  let closest: { limitCpus: number; plan: Fitted; why: string } | null = null;
  for (const limitCpus of limits) {
    const fit = fits(input, targets, limitCpus);
    if (typeof fit === 'string') {
      rejected.push({ limitCpus, why: fit });
      continue;
    }
    if (fit.overBudget === null) return { limitCpus, ...fit.plan, hostCores: input.sharedHostCores, rejected, overHostBudget: null };
    rejected.push({ limitCpus, why: fit.overBudget });
    if (closest === null || (fit.plan.hostPeakCores ?? 0) < (closest.plan.hostPeakCores ?? 0)) closest = { limitCpus, plan: fit.plan, why: fit.overBudget };
  }
  // the budget is a margin against contention, not a wall: the host's measured per-request cost
  // varies by half between runs, so a level just past the budget is run and reported as such; one
  // past the host's cores (less what a scheduler needs to stay responsive) is not run
  const hard = input.sharedHostCores === null ? Infinity : input.sharedHostCores * HOST_HARD_SHARE;
  if (closest !== null && (closest.plan.hostPeakCores ?? 0) <= hard) {
    return {
      limitCpus: closest.limitCpus,
      ...closest.plan,
      hostCores: input.sharedHostCores,
      rejected: rejected.filter((r) => r.limitCpus !== closest.limitCpus),
      overHostBudget: closest.why,
    };
  }
  throw new CalibrationError(`no CPU limit lets this lab carry the traffic: ${rejected.map((r) => `at ${r.limitCpus} CPU, ${r.why}`).join('; ')}`);
}

/** A level past this share of the shared host's cores is not run, whatever host_budget_pct says. */
export const HOST_HARD_SHARE = 0.95;

interface Fitted {
  request: WorkRequest;
  levels: TrafficLevel[];
  hostPeakCores: number | null;
}

/** Why a limit cannot carry the traffic, or its plan and, when only the host budget is overshot, by how much. */
function fits(input: PlanInput, t: TrafficTargets, limitCpus: number): string | { plan: Fitted; overBudget: string | null } {
  if (input.workerCores !== null && limitCpus > input.workerCores) return `the smallest worker has only ${input.workerCores} cores`;
  const idlePct = (input.idleCpuMsPerS / (limitCpus * 1000)) * 100;
  // the idle app's own cost (its sampler, Docker's health check) is fixed in ms: under a small limit
  // it is most of the budget, and each request a large step of the CPU that the agent samples
  if (idlePct > (input.maxIdlePct ?? 30)) return `the idle replica alone uses ${idlePct.toFixed(0)} % of it (max_idle_pct ${input.maxIdlePct ?? 30})`;
  const m = input.request;
  const budgetMsPerS = (t.cpuPct / 100) * limitCpus * 1000 - input.idleCpuMsPerS; // one replica's traffic at the target share
  const netMbps = (t.networkPct / 100) * t.linkMbps - input.idleNetMbps;
  // the answer resized for this limit's rate (a resize changes the request's CPU a little: twice is enough)
  let kb = m.kb;
  let cpuMs = m.cpuMs;
  for (let i = 0; i < 2; i++) {
    const rps = budgetMsPerS / cpuMs;
    kb = Math.max(1, Math.round(netMbps / (rps * (m.mbpsPerRps / m.kb))));
    cpuMs = m.cpuMs + input.perKibMs * (kb - m.kb);
  }
  if (cpuMs <= 0 || (cpuMs - m.cpuMs) / cpuMs > 0.75) return `at its rate, the answers alone (${kb} KiB each) would cost the replica most of the CPU target`;
  const rps = budgetMsPerS / cpuMs;
  const levels: TrafficLevel[] = [];
  for (let k = 1; k < t.replicas; k++) {
    levels.push({
      replicas: k,
      rps: round2(rps * k),
      expectedCpuPct: round2(((input.idleCpuMsPerS + rps * cpuMs) / (limitCpus * 1000)) * 100),
      expectedNetworkPct: round2(((input.idleNetMbps + rps * kb * (m.mbpsPerRps / m.kb)) / t.linkMbps) * 100),
    });
  }
  let hostPeakCores: number | null = null;
  let overBudget: string | null = null;
  if (input.sharedHostCores !== null && input.idleHostCores !== null && m.hostMs !== null) {
    const last = levels[levels.length - 1];
    const hostMs = m.hostMs + (input.hostPerKibMs ?? 0) * (kb - m.kb) + (cpuMs - m.cpuMs);
    // the last level's traffic on t.replicas replicas, each with its own idle cost
    hostPeakCores = round2(input.idleHostCores + (last.rps * hostMs) / 1000 + ((t.replicas - 1) * input.idleCpuMsPerS) / 1000 + (input.otherCoresPerLimitCpu ?? 0) * limitCpus);
    const budget = (input.hostBudgetPct / 100) * input.sharedHostCores;
    if (hostPeakCores > budget) {
      overBudget = `the last level (${last.rps} requests/s) would keep ${hostPeakCores} of the host's ${input.sharedHostCores} cores busy, above the budget of ${round2(budget)} (host_budget_pct ${input.hostBudgetPct})`;
    }
  }
  return { plan: { request: { iterations: m.iterations, kb, cpuMs: round2(cpuMs) }, levels, hostPeakCores }, overBudget };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Whole requests per second whose running total follows a fractional rate (the remainder is
 * carried), so 7.4 rps sends 7, 7, 8, 7, 8 … and averages 7.4 over any few seconds.
 */
export function wholeRates(rates: readonly number[]): number[] {
  let owed = 0;
  return rates.map((r) => {
    owed += r;
    const n = Math.floor(owed + 1e-9);
    owed -= n;
    return n;
  });
}

/** Per-second rates: `leadS` of nothing, then each level ramped into over rampS and held holdS, then a linear ramp down. */
export function levelSchedule(levels: readonly number[], s: { leadS: number; rampS: number; holdS: number; rampDownS: number }): number[] {
  const out: number[] = new Array(s.leadS).fill(0);
  let from = 0;
  for (const to of levels) {
    for (let i = 1; i <= s.rampS; i++) out.push(from + ((to - from) * i) / (s.rampS + 1));
    for (let i = 0; i < s.holdS; i++) out.push(to);
    from = to;
  }
  for (let i = 1; i <= s.rampDownS; i++) out.push(from - (from * i) / (s.rampDownS + 1));
  return out;
}

/** The CPU limits to try, largest first: the app's own, then lab.yaml's fallbacks or halves of it down to 0.1. */
export function limitCandidates(appLimit: number, fallbacks?: readonly number[]): number[] {
  const out = [appLimit];
  if (fallbacks) out.push(...fallbacks.filter((l) => l < appLimit).sort((a, b) => b - a));
  else for (let l = appLimit / 2; l >= 0.1 - 1e-9; l /= 2) out.push(Math.round(l * 1000) / 1000);
  return out;
}
