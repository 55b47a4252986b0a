import type { ContainerMetrics } from './types.ts';

/** One decimal: what the alert payload and the report carry on the wire. */
export const roundTenth = (v: number): number => Math.round(v * 10) / 10;

/**
 * The metrics as they travel to the manager. The agent evaluates the rules on these same rounded
 * values, so that the manager, re-evaluating the alert it receives, reaches the same verdict: a
 * value such as 75.04 % must not breach a 75 % threshold at the agent and then, sent as 75.0, fail
 * to breach it at the manager.
 */
export function roundMetrics(m: ContainerMetrics): ContainerMetrics {
  return { cpu: roundTenth(m.cpu), mem: roundTenth(m.mem), mem_mb: roundTenth(m.mem_mb), net: roundTenth(m.net), rx: roundTenth(m.rx), tx: roundTenth(m.tx) };
}
