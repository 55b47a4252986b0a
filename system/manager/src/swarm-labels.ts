import type { ServiceSpec } from './swarm-port.ts';

/**
 * What the manager must remember across its own restarts is written on the service itself, as
 * service labels (changing a service label restarts no task): a memory-only record would be lost
 * with the manager, and the extra replicas of a scale-up would then stay for good.
 *
 * `swarmguard.scaled-up=<replicas before the first scale-up>`: set by the scale-up that leaves the
 * original count, removed by the scale-down that returns to it. The scale-down loop watches every
 * service carrying it. (A migration's temporary constraint has its own label, see placement.ts.)
 */
export const SCALED_UP_LABEL = 'swarmguard.scaled-up';

/** The replica count before the manager scaled the service up, or undefined when it did not. */
export function scaledUpFrom(spec: ServiceSpec): number | undefined {
  const raw = spec.Labels?.[SCALED_UP_LABEL];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** The labels after a scale step from `from` to `to` replicas. */
export function labelsAfterScale(spec: ServiceSpec, from: number, to: number): Record<string, string> {
  const labels = { ...(spec.Labels ?? {}) };
  const original = scaledUpFrom(spec);
  if (to > from && original === undefined) labels[SCALED_UP_LABEL] = String(from);
  if (to < from && (original === undefined || to <= original)) delete labels[SCALED_UP_LABEL];
  return labels;
}
