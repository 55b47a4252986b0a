import type { LabConfig } from '../../lab-config.ts';
import type { ExtraApp } from '../../extra-apps.ts';
import { DEFAULT_SCENARIO2_LOAD, scenario2Schedules, scenario2Streams, type Scenario2Load } from '../scenario2-load.ts';
import type { LoadStream } from '../../load-generators.ts';
import type { ExpectedAction } from './concurrent-actions.ts';

export type Fault = 'cpu' | 'traffic' | 'memory';

export interface Role {
  /** A, B, C in logs and measurement keys. */
  key: 'a' | 'b' | 'c';
  app: ExtraApp;
  fault: Fault;
  expect: ExpectedAction;
}

/**
 * The copies' CPU limit: half of lab.yaml's 0.5. The experiment runs four apps, two stresses, the
 * traffic's curl processes and five Docker healthchecks on the local lab's 2 shared cores. At 0.5
 * (06:16, the 33 s after one iteration's faults, per-process /proc accounting) the host was 1.58 of
 * 2 cores busy: 0.43 in containerd-shim (healthcheck execs: ~65 ms of host CPU each, measured on
 * the idle lab), ~0.37 in the traffic's curl processes, 0.30 in B; its load average reached 5–9, and in 3 of 16
 * iterations (05:51–06:12) B's probe requests timed out (3–17 of ~400, answers over 2 s) while B
 * had less than its quota. Halving the copies' limits halves what A's stress and B's traffic cost
 * the host while every threshold (a percentage of the limit) is crossed the same way.
 */
export const COPY_CPUS = 0.25;

/**
 * Scenario 2's traffic with a shorter hold (the scale-up comes within seconds of the ramp, and the
 * iteration waits for the traffic to end by itself: killing the scripts would cut requests in
 * flight), and the same 25 Mbps of data in half as many requests (fewer curl processes).
 * 12 pi rps on a copy of 0.25 CPU is scenario 2's 24 rps on its 0.5 CPU: ≈ 80–94 % of the limit
 * (at 0.5 CPU, 22 rps gave only 50–73 % in 1 of 2 iterations and no scale-up; 24 rps scaled up
 * 4.4–5.6 s after the faults in 3 of 3). Earlier, with A's and C's stress ramped over 5 s, B was
 * starved of the shared 2 cores and swarm replaced it as unhealthy; STRESS_RAMP_S is why that no
 * longer happens.
 */
export const CONCURRENT_LOAD: Scenario2Load = { ...DEFAULT_SCENARIO2_LOAD, piLevels: [12], dataRps: 6, dataKb: 512, holdS: 20 };

/** CPU stress on A: above the 75 % threshold by a margin, less than scenario 1's 90 % (see STRESS_RAMP_S). */
export const CPU_TARGET_PCT = 85;

/**
 * A's and C's stress climb over 15 s instead of lab.yaml's ramp_s: started at the same moment as
 * B's traffic, their full load comes when B, which needs all of its CPU limit until it is scaled up,
 * has usually been scaled up. Measured on the local lab (2 shared cores): with both ramped over 5 s,
 * B's single replica got ~0.3 CPU 5 s into the faults (54–65 % of its limit, its demand ~80 %), its
 * answers took over 2 s, and swarm replaced it as unhealthy in 7 iterations of 8 (67–195 failed
 * probe requests), whether A's stress climbed over 5 s or 15 s.
 */
export const STRESS_RAMP_S = 15;

/** Seconds from the start of the traffic to its end by schedule. */
export function loadSeconds(load: Scenario2Load = CONCURRENT_LOAD): number {
  const s = scenario2Schedules(load);
  return Math.max(s.pi.length, s.data.length);
}

/** Scenario 2's two streams, aimed at one copy's frontend instead of the lab's entrypoint. */
export function trafficStreams(lab: LabConfig, url: string, load: Scenario2Load = CONCURRENT_LOAD): LoadStream[] {
  return scenario2Streams({ ...lab, entrypoint: url }, load);
}

/** Scenario 1's CPU stress (CPU_TARGET_PCT of the limit, little network) on the copy behind `url`. */
export function cpuStressUrl(url: string, holdS: number): string {
  return `${url}/stress/cpu?target=${CPU_TARGET_PCT}&duration=${Math.round(holdS)}&ramp=${STRESS_RAMP_S}`;
}

/**
 * Scenario 1's memory stress on the copy behind `url`: above the threshold by a margin, below the
 * limit by enough to stay clear of the OOM killer.
 */
export async function memoryStressUrl(lab: LabConfig, url: string, holdS: number): Promise<string> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url}/metrics answered ${res.status}`);
  const metrics = (await res.json()) as { memory_mb: number; memory_limit_mb: number };
  const threshold = lab.swarmguard.config.scenarios.scenario1_migration.memory_threshold / 100;
  const target = Math.round(metrics.memory_limit_mb * Math.min(threshold + 0.07, 0.95) - metrics.memory_mb);
  return `${url}/stress/memory?target=${target}&duration=${Math.round(holdS)}&ramp=${STRESS_RAMP_S}`;
}

/** Starts a stress by its URL; a refusal is an error naming the URL and the answer. */
export async function startStress(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
}
