import type { LabConfig } from '../lab-config.ts';
import { splitRates, type LoadStream } from '../load-generators.ts';
import { stepSchedule } from '../load-script.ts';

/**
 * Scenario 2's traffic, in totals over all load generators. Two streams: /compute/pi makes a replica
 * CPU-busy, /api/data makes it network-heavy. The pi stream climbs in levels, each sized so that the
 * replicas the manager should have by then run at ~85 % of their 0.5-CPU limit: above the 75 %
 * threshold, yet below saturation. The data stream is constant and brackets the pi stream: it starts
 * `leadS` earlier and ends `tailS` later, so a replica is never CPU-busy with little network — that
 * would match scenario 1 and migrate the task instead.
 *
 * Measured on the local lab (2 shared cores; web-stress /metrics of one replica): idle ≈ 6 %;
 * 16 rps of 256 KiB ≈ 21 % CPU and 16.8 Mbps; a pi request costs ≈ 1 % + 0.35 % per million
 * iterations (3 M: 2.1 %/rps, 20 M: 8 %/rps). Many small pi requests rather than few big ones: pi
 * runs on the app's single event loop, and at 20 M iterations (~40 ms of CPU, ~90 ms of wall time
 * under the 0.5-CPU quota) the queue behind it made /health slower than HAProxy's 1 s check
 * timeout: with `fall 1` the only replica was taken out of the balancer (503s), and at two levels
 * swarm's own health check replaced the busy tasks. 22 rps × 5 M + 12 rps × 256 KiB gave 62–83 %
 * (mean ≈ 72 %: 2.3 %/rps at 5 M) — too few breaches in a row. Default: 24 rps × 6 M ≈ 64 % +
 * 12 rps × 256 KiB ≈ 16 % + 6 % ≈ 86 % on one replica, 25 Mbps (> 13 Mbps, 65 % of link_mbps 20)
 * → one scale-up, then ≈ 43 % and 12.6 Mbps on each of two: neither rule matches. A second level (two replicas at
 * 85 %, 0.85 CPU for the app alone) overloaded the shared 2-core host: see piLevels in the CLI.
 */
export interface Scenario2Load {
  piIterations: number;
  /** Total pi rps of each level, one level per replica count to reach (1, 2 …). */
  piLevels: number[];
  dataKb: number;
  dataRps: number;
  /** Seconds to ramp into each level and to hold it. */
  rampS: number;
  holdS: number;
  rampDownS: number;
  /** Data traffic before the pi stream starts and after it ends. */
  leadS: number;
  tailS: number;
  /** Per-request timeout of the load generators, s. */
  timeoutS: number;
}

export const DEFAULT_SCENARIO2_LOAD: Scenario2Load = {
  piIterations: 6_000_000,
  piLevels: [24],
  dataKb: 256,
  dataRps: 12,
  // short: the replica crosses 75 % near the top of the ramp, and the CPU before T4 should be that of the full load
  rampS: 2,
  holdS: 30,
  rampDownS: 5,
  leadS: 3,
  tailS: 3,
  timeoutS: 5,
};

/** Total requests per second of both streams, second by second from the start of the load. */
export function scenario2Schedules(load: Scenario2Load): { pi: number[]; data: number[] } {
  const pi = stepSchedule(
    [{ rps: 0, rampS: 0, holdS: load.leadS }, ...load.piLevels.map((rps) => ({ rps, rampS: load.rampS, holdS: load.holdS }))],
    load.rampDownS,
  );
  const data = stepSchedule([{ rps: load.dataRps, rampS: 1, holdS: pi.length - 1 + load.tailS }], 0);
  return { pi, data };
}

/** Seconds (from the start of the load) at which the pi stream starts a new ramp: a level change. */
export function levelChanges(load: Scenario2Load): number[] {
  const out: number[] = [];
  let t = load.leadS;
  for (let i = 0; i < load.piLevels.length; i++) {
    out.push(t);
    t += load.rampS + load.holdS;
  }
  out.push(t); // the ramp down
  return out;
}

export function scenario2Streams(lab: LabConfig, load: Scenario2Load): LoadStream[] {
  const { pi, data } = scenario2Schedules(load);
  const maxDurationS = Math.max(pi.length, data.length) + 10;
  return [
    {
      name: 'data',
      url: `${lab.entrypoint}/api/data?kb=${load.dataKb}`,
      shape: (i, n) => ({ rates: splitRates(data, i, n) }),
      maxDurationS,
      timeoutS: load.timeoutS,
    },
    {
      name: 'pi',
      url: `${lab.entrypoint}/compute/pi?iterations=${load.piIterations}`,
      shape: (i, n) => ({ rates: splitRates(pi, i, n) }),
      maxDurationS,
      timeoutS: load.timeoutS,
    },
  ];
}
