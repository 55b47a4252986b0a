import { z } from 'zod';

/** The allowed range of one query parameter, as 400 answers report it. */
export interface Bound {
  min: number;
  max: number;
  unit: string;
  integer?: boolean;
  /** Used when the parameter is absent; without one the parameter is required. */
  default?: number;
  note?: string;
}

export type BoundSpec = Record<string, Bound>;

/** A bad query parameter: becomes a 400 `{error, parameter, allowed}`. */
export class ParamError extends Error {
  constructor(
    readonly parameter: string,
    readonly allowed: Omit<Bound, 'default'> | string,
    message: string,
  ) {
    super(message);
    this.name = 'ParamError';
  }
}

export const HEADROOM_MB = 64;
export const MEMORY_MAX_MB = 4096;

export const DURATION: Bound = { min: 1, max: 3600, unit: 's', default: 60 };
export const RAMP: Bound = { min: 0, max: 600, unit: 's', default: 0 };
export const CPU_TARGET: Bound = { min: 0, max: 100, unit: '% of the CPU limit' };
export const NETWORK_TARGET: Bound = { min: 0, max: 1000, unit: 'Mbps' };
export const ITERATIONS: Bound = { min: 1, max: 5e7, unit: 'iterations', integer: true, default: 1e7 };
export const KB: Bound = { min: 0, max: 10240, unit: 'KiB', integer: true, default: 64 };

/** Memory targets stop short of the container's limit so the stress cannot get the task OOM-killed. */
export function memoryBound(limitMb: number, limitSource: string, min = 1): Bound {
  const max = Math.max(0, Math.min(MEMORY_MAX_MB, Math.floor(limitMb - HEADROOM_MB)));
  return {
    min,
    max,
    unit: 'MB',
    integer: true,
    note: `at most ${MEMORY_MAX_MB} MB and ${limitSource} ${Math.round(limitMb)} MB minus ${HEADROOM_MB} MB headroom`,
  };
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function describeRange(bound: Bound): string {
  const kind = bound.integer ? 'an integer' : 'a number';
  const note = bound.note ? ` (${bound.note})` : '';
  return `expected ${kind} from ${bound.min} to ${bound.max} ${bound.unit}${note}`;
}

function valueSchema(bound: Bound) {
  const number = bound.integer ? z.number().int() : z.number();
  return z.string().trim().regex(DECIMAL).transform(Number).pipe(number.min(bound.min).max(bound.max));
}

function allowedOf(bound: Bound): Omit<Bound, 'default'> {
  const { default: _default, ...allowed } = bound;
  return allowed;
}

/**
 * Parses a query string against a spec: every parameter numeric and within its bound, no unknown
 * parameters (a typo would otherwise silently fall back to a default). Throws ParamError.
 */
export function parseQuery<S extends BoundSpec>(query: unknown, spec: S): { [K in keyof S]: number } {
  const input = (query ?? {}) as Record<string, unknown>;
  const names = Object.keys(spec);
  for (const key of Object.keys(input)) {
    if (!names.includes(key)) {
      throw new ParamError(key, `one of ${names.join(', ')}`, `${key}: unknown parameter, expected one of ${names.join(', ')}`);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, bound] of Object.entries(spec)) {
    const raw = input[name];
    if (raw === undefined) {
      if (bound.default === undefined) {
        throw new ParamError(name, allowedOf(bound), `${name}: missing, ${describeRange(bound)}`);
      }
      out[name] = bound.default;
      continue;
    }
    const result = valueSchema(bound).safeParse(raw);
    if (!result.success) {
      const got = typeof raw === 'string' ? JSON.stringify(raw) : `${JSON.stringify(raw)} (given more than once?)`;
      throw new ParamError(name, allowedOf(bound), `${name}: got ${got}, ${describeRange(bound)}`);
    }
    out[name] = result.data;
  }
  return out as { [K in keyof S]: number };
}
