import type { LabConfig } from '../../config/lab-config.ts';
import { appMemory } from '../../cluster/app-control.ts';
import type { ExtraApp } from '../../cluster/extra-apps.ts';
import { scenario2Schedule, scenario2Streams, type Scenario2Load } from '../scenario2-load.ts';
import type { LoadStream } from '../../load/load-generators.ts';
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
 * B's traffic holds its level for less than scenario 2's: the scale-up comes within seconds of the
 * ramp, and the iteration waits for the traffic to end by itself (killing the scripts would cut
 * requests in flight). Its rates come from a calibration of B on the lab (traffic-calibration.ts).
 */
export const CONCURRENT_TIMING = { holdS: 20 } as const;

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
export function loadSeconds(load: Scenario2Load): number {
  return scenario2Schedule(load).length;
}

/** Scenario 2's two streams, aimed at one copy's frontend instead of the lab's entrypoint. */
export function trafficStreams(lab: LabConfig, url: string, load: Scenario2Load): LoadStream[] {
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
  const metrics = await appMemory(url);
  const threshold = lab.swarmguard.config.scenarios.scenario1_migration.memory_threshold / 100;
  const target = Math.round(metrics.memory_limit_mb * Math.min(threshold + 0.07, 0.95) - metrics.memory_mb);
  return `${url}/stress/memory?target=${target}&duration=${Math.round(holdS)}&ramp=${STRESS_RAMP_S}`;
}

/** Starts a stress by its URL; a refusal is an error naming the URL and the answer. */
export async function startStress(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
}
