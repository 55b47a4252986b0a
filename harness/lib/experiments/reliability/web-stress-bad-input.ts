import { CPU_TARGET, DURATION, ITERATIONS, KB, NETWORK_TARGET, RAMP, type Bound } from '../../../../system/web-stress/src/params.ts';
import { Prng } from './prng.ts';

/** One bad query and the parameter the 400 answer must name. */
export interface BadQuery {
  path: string;
  parameter: string;
}

export interface QueryAnswer {
  query: BadQuery;
  status: number;
  problem?: string;
}

// memory: its upper bound depends on the container's limit; only values outside every possible bound are used
const MEMORY: Bound = { min: 1, max: 4096, unit: 'MB', integer: true };
const ZERO_OK = { cpu: '0', memory: '0', network: '0' } as Record<string, string>;

/** The query parameters of each endpoint in the order web-stress checks them (system/web-stress/src/app.ts). */
const ENDPOINTS: Record<string, Array<[string, Bound, boolean]>> = {
  '/stress/cpu': [['target', CPU_TARGET, true], ['duration', DURATION, false], ['ramp', RAMP, false]],
  '/stress/memory': [['target', MEMORY, true], ['duration', DURATION, false], ['ramp', RAMP, false]],
  '/stress/network': [['bandwidth', NETWORK_TARGET, true], ['duration', DURATION, false], ['ramp', RAMP, false]],
  '/stress/combined': [['cpu', CPU_TARGET, false], ['memory', MEMORY, false], ['network', NETWORK_TARGET, false], ['duration', DURATION, false], ['ramp', RAMP, false]],
  '/compute/pi': [['iterations', ITERATIONS, false]],
  '/api/data': [['kb', KB, false]],
};

const NOT_NUMBERS = ['abc', '', ' ', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', '1,5', '50%', '\u0661\u0662', '1_000', '--1', '+-1', '.', 'e5', 'null', 'true', '[]', '{}', '1 2', '\u0000'];

function badValue(r: Prng, b: Bound): string[] {
  switch (r.int(0, 4)) {
    case 0: return [String(b.max + r.int(1, 1000) + (b.integer ? 0 : 0.5))];
    case 1: return [String(b.min - r.int(1, 1000))];
    case 2: return b.integer ? [`${r.int(b.min, Math.min(b.max, 1000))}.5`] : [r.pick(NOT_NUMBERS)];
    case 3: return ['1', '1']; // the parameter given twice
    default: return [r.chance(0.5) ? r.pick(NOT_NUMBERS) : `x${r.string(12)}`];
  }
}

/**
 * `count` queries with exactly one bad parameter each (unknown name, bad value, or a required one
 * missing); the parameters checked before it carry harmless valid values (1 % for 1 s at most).
 */
export function badQueries(seed: number, count: number): BadQuery[] {
  const r = new Prng(seed);
  const out: BadQuery[] = [];
  for (let i = 0; i < count; i++) {
    const path = r.pick(Object.keys(ENDPOINTS));
    const spec = ENDPOINTS[path];
    const kind = r.int(0, 5);
    const q = new URLSearchParams();
    let parameter: string;
    if (kind === 0) {
      parameter = r.pick(['targt', 'Target', 'cpu_target', 'durations', `p${r.hex(4)}`, 'TARGET', 'target ']);
      if (spec.some(([n]) => n === parameter)) parameter = `x-${parameter}`;
      q.append(parameter, r.pick(['1', 'abc', '']));
    } else if (kind === 1 && spec[0][2]) {
      parameter = spec[0][0]; // required and missing
      if (r.chance(0.5)) q.append('duration', '1');
    } else if (kind === 1 && path === '/stress/combined') {
      parameter = 'cpu,memory,network';
      for (const n of ['cpu', 'memory', 'network']) if (r.chance(0.5)) q.append(n, '0');
    } else {
      const at = r.int(0, spec.length - 1);
      for (const [name, , required] of spec.slice(0, at)) q.append(name, path === '/stress/combined' ? ZERO_OK[name] ?? '1' : required ? '1' : name === 'ramp' ? '0' : '1');
      const [name, bound] = spec[at];
      parameter = name;
      for (const v of badValue(r, bound)) q.append(name, v);
    }
    out.push({ path: `${path}?${q.toString()}`, parameter });
  }
  return out;
}

/**
 * The pause after an answer that took `latencyMs`, so that the app is busy at most `duty` of the
 * time. A query is sent only when the previous one is answered, so the app's CPU time for it lies
 * within its latency.
 */
export function pauseAfter(latencyMs: number, duty: number): number {
  if (!(duty > 0 && duty <= 1)) throw new Error(`duty must be in (0, 1], got ${duty}`);
  return Math.max(0, latencyMs) * (1 / duty - 1);
}

/**
 * Sends the queries one at a time, paced to `duty`: the experiment tests how each query is answered,
 * and must not load the app, or the agent alerts on real CPU and the manager rightly moves it.
 */
export async function sendBadQueries(baseUrl: string, queries: BadQuery[], duty: number, deadlineMs: number): Promise<QueryAnswer[]> {
  const out: QueryAnswer[] = [];
  const end = performance.now() + deadlineMs;
  for (const query of queries) {
    if (performance.now() > end) {
      out.push({ query, status: 0, problem: `not sent: the ${deadlineMs} ms for all queries ran out` });
      continue;
    }
    const started = performance.now();
    out.push(await sendBadQuery(baseUrl, query));
    const pause = Math.min(pauseAfter(performance.now() - started, duty), end - performance.now());
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  return out;
}

async function sendBadQuery(baseUrl: string, query: BadQuery): Promise<QueryAnswer> {
  try {
    const res = await fetch(`${baseUrl}${query.path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json().catch(() => null)) as { parameter?: string } | null;
    const problem =
      res.status !== 400 ? `expected 400, got ${res.status} ${JSON.stringify(body).slice(0, 160)}`
      : body?.parameter !== query.parameter ? `400 names ${JSON.stringify(body?.parameter)}, expected ${JSON.stringify(query.parameter)}`
      : undefined;
    return { query, status: res.status, ...(problem ? { problem } : {}) };
  } catch (err) {
    return { query, status: 0, problem: `no answer: ${(err as Error).message}` };
  }
}
