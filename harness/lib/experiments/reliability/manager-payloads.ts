import { alertSchema, NDJSON, REPORT_STREAM_ROUTE, reportSchema } from '../../../../system/shared/alert-schema.ts';
import { toColumns } from '../../../../system/shared/parse-report.ts';
import { Prng } from './prng.ts';

/** What the manager's contract (DESIGN.md §2.3–2.4) says a request must get. */
export type Expectation =
  /** Rejected with this status; a POST also logs `request_rejected` with it. */
  | { status: number }
  /** A well-formed alert that must not be acted on: 202 `{accepted:false, reason}`, logged as `alert_ignored`. */
  | { ignored: true; alertId: string; reason?: string };

export interface BadRequest {
  /** Category, for the tally: unauthenticated, wrong-token, malformed-json … random-alert. */
  label: string;
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  /** A string body, or a number of bytes sent chunked (no content-length) for the oversized stream case. */
  body?: string | { chunkedBytes: number };
  expect: Expectation;
}

/** The real swarm as the hand-written cases need it: where the app's task is, and where it is not. */
export interface PayloadTarget {
  token: string;
  service: string;
  task: { id: string; node: string; containerId: string };
  /** A node the task is not on. */
  otherNode: string;
  /** An earlier task of the app (shut down), if the swarm still lists one. */
  oldTask?: { id: string; node: string; containerId: string };
  nodes: string[];
  bodyLimit: number;
}

const HEADER_CHARS = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const JSON_TYPE = { 'content-type': 'application/json' };
const metricsOk = { cpu: 91.5, mem: 30.2, mem_mb: 150, net: 1.1, rx: 0.6, tx: 0.5 };

export function alertBody(id: string, fields: { node: string; service: string; container: string; task: string; m?: Record<string, number> }, t1 = Date.now()): Record<string, unknown> {
  return { id, t0: t1 - 1000, t1, scenario: 'scenario1_migration', m: metricsOk, ...fields };
}

/** The fixed cases: authentication, syntax, types, size, unknown names, stale alerts. */
export function handWrittenRequests(t: PayloadTarget): BadRequest[] {
  const auth = { ...JSON_TYPE, authorization: `Bearer ${t.token}` };
  const stale = alertBody('bad-input:stale-node', { node: t.otherNode, service: t.service, container: t.task.containerId.slice(0, 12), task: t.task.id });
  const post = (label: string, path: string, body: string | { chunkedBytes: number }, expect: Expectation, headers: Record<string, string> = auth): BadRequest => ({
    label, method: 'POST', path, headers, body, expect,
  });
  const s = (status: number) => ({ status });
  const out: BadRequest[] = [];
  for (const path of ['/alert', '/report']) {
    out.push(post('unauthenticated', path, JSON.stringify(stale), s(401), JSON_TYPE));
    for (const header of [`Bearer wrong-${t.token.length}`, `Bearer ${t.token}x`, `Bearer ${t.token.slice(0, -1)}`, `Basic ${Buffer.from(`x:${t.token}`).toString('base64')}`, `Token ${t.token}`, 'Bearer', 'Bearer  ', `${t.token}`, `Bearer ${t.token} ${t.token}`]) {
      out.push(post('wrong-token', path, JSON.stringify(stale), s(401), { ...JSON_TYPE, authorization: header }));
    }
    for (const body of ['{', '{"id":', 'not json', '[1,2', '{"id":"a",}', "{'id':'a'}", '\u0000\u0001', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}']) {
      out.push(post('malformed-json', path, body, s(400)));
    }
    out.push(post('malformed-json', path, '', s(400)));
    // text/plain has a parser in fastify: the body arrives as a string and fails the schema (400)
    out.push(post('wrong-content-type', path, JSON.stringify(stale), s(400), { authorization: auth.authorization, 'content-type': 'text/plain' }));
    for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      out.push(post('wrong-content-type', path, JSON.stringify(stale), s(415), { authorization: auth.authorization, 'content-type': type }));
    }
    out.push(post('oversized', path, JSON.stringify({ ...stale, pad: 'x'.repeat(t.bodyLimit + 1024) }), s(413)));
    out.push(post('oversized', path, { chunkedBytes: t.bodyLimit * 4 }, s(413)));
  }
  const wrong: Array<[string, unknown]> = [
    ['t0', 'now'], ['t1', -5], ['node', 42], ['node', ''], ['node', 'worker 1; rm -rf /'], ['service', null], ['service', 'x'.repeat(200)],
    ['container', 12345], ['container', 'NOT-HEX-AT-ALL'], ['task', { id: 1 }], ['task', 'x'.repeat(65)], ['scenario', 'scenario3'],
    ['m', 'high'], ['m', { ...metricsOk, cpu: '90' }], ['m', { ...metricsOk, cpu: 150 }], ['m', { ...metricsOk, extra: 1 }], ['m', { cpu: 90 }],
    ['id', ''], ['id', 'x'.repeat(161)], ['extra', true],
  ];
  for (const [key, value] of wrong) out.push(post('wrong-types', '/alert', JSON.stringify({ ...stale, [key]: value }), s(400)));
  for (const key of Object.keys(stale)) {
    const { [key]: _gone, ...rest } = stale;
    out.push(post('wrong-types', '/alert', JSON.stringify(rest), s(400)));
  }
  for (const body of ['null', '[]', '42', '"alert"', 'true', JSON.stringify([stale])]) out.push(post('wrong-types', '/alert', body, s(400)));
  out.push(post('wrong-types', '/report', JSON.stringify({ node: t.otherNode, t: Date.now(), containers: 'all' }), s(400)));
  out.push(post('wrong-types', '/report', JSON.stringify({ node: t.otherNode, t: Date.now(), containers: [{ service: t.service, container: 'zz', task: '', m: metricsOk }] }), s(400)));

  // the agents' stream: the same checks, a line at a time; a refused line is named and closes the stream
  const ndjson = { authorization: auth.authorization, 'content-type': NDJSON };
  const line = (o: unknown) => `${JSON.stringify(o)}\n`;
  const columns = toColumns({ node: t.otherNode, t: Date.now(), containers: [] });
  out.push(post('unauthenticated', REPORT_STREAM_ROUTE, line(columns), s(401), { 'content-type': NDJSON }));
  out.push(post('wrong-token', REPORT_STREAM_ROUTE, line(columns), s(401), { ...ndjson, authorization: `Bearer ${t.token}x` }));
  for (const body of ['{\n', 'not json\n', '{"node":"a",}\n', '\u0000\n']) out.push(post('malformed-json', REPORT_STREAM_ROUTE, body, s(400), ndjson));
  out.push(post('wrong-content-type', REPORT_STREAM_ROUTE, JSON.stringify(columns), s(415), auth));
  out.push(post('oversized', REPORT_STREAM_ROUTE, line({ ...columns, pad: 'x'.repeat(t.bodyLimit + 1024) }), s(413), ndjson));
  out.push(post('oversized', REPORT_STREAM_ROUTE, { chunkedBytes: t.bodyLimit * 4 }, s(413), ndjson));
  out.push(post('wrong-types', REPORT_STREAM_ROUTE, line({ node: t.otherNode, t: Date.now(), containers: [] }), s(400), ndjson)); // entries, not columns
  out.push(post('wrong-types', REPORT_STREAM_ROUTE, line({ ...columns, container: ['0123456789ab'] }), s(400), ndjson)); // columns of unequal length

  const ignored = (label: string, id: string, fields: Parameters<typeof alertBody>[1], reason: string) =>
    out.push(post(label, '/alert', JSON.stringify(alertBody(id, fields)), { ignored: true, alertId: id, reason }));
  const c = t.task.containerId.slice(0, 12);
  ignored('unknown-service', 'bad-input:unknown-service', { node: t.task.node, service: 'no-such-service', container: c, task: t.task.id }, 'unknown_service');
  ignored('unknown-node', 'bad-input:unknown-node', { node: 'worker-99', service: t.service, container: c, task: t.task.id }, 'unknown_node');
  ignored('stale-alert', 'bad-input:stale-node', { node: t.otherNode, service: t.service, container: c, task: t.task.id }, 'stale');
  ignored('stale-alert', 'bad-input:stale-no-task', { node: t.otherNode, service: t.service, container: c, task: '' }, 'stale');
  ignored('stale-alert', 'bad-input:gone-task', { node: t.task.node, service: t.service, container: 'feedfacecafe', task: 'nosuchtask0000000000000000' }, 'stale');
  if (t.oldTask) {
    const o = t.oldTask;
    ignored('stale-alert', 'bad-input:old-container', { node: o.node, service: t.service, container: o.containerId.slice(0, 12), task: o.id }, 'stale');
  }
  // the live task on its own node, with metrics that match no rule: the manager re-checks the agent's claim
  out.push(post('rule-mismatch', '/alert', JSON.stringify({ ...alertBody('bad-input:rule-mismatch', { node: t.task.node, service: t.service, container: c, task: t.task.id }), m: { ...metricsOk, cpu: 5, mem: 5 } }), { ignored: true, alertId: 'bad-input:rule-mismatch', reason: 'rule_mismatch' }));
  for (const q of ['since=abc', 'since=-1', 'since=1e999', 'since=', 'since=1&since=2', 'since=%00']) {
    out.push({ label: 'events-query', method: 'GET', path: `/events?${q}`, headers: {}, expect: { status: 400 } });
  }
  return out;
}

function randomValue(r: Prng, depth = 0): unknown {
  const k = r.int(0, depth > 2 ? 6 : 8);
  switch (k) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.int(-1e6, 1e6);
    case 3: return r.pick([0, -0.5, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 100.0001, 1e21]);
    case 4: return r.string(24);
    case 5: return r.pick(['', ' ', 'null', 'NaN', 'Infinity', '0x10', 'worker-1', 'manager', 'web-stress', 'scenario1_migration', 'scenario2_scaling', '\u202e', 'a'.repeat(300)]);
    case 6: return r.hex(r.int(1, 70));
    case 7: return Array.from({ length: r.int(0, 4) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.pick(['id', 'node', 'm', 'cpu', 'x', r.string(8)]), randomValue(r, depth + 1)]));
  }
}

function mutate(r: Prng, obj: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(obj);
  for (let n = r.int(1, 3); n > 0; n--) {
    const keys = Object.keys(out);
    const nested = r.chance(0.3) && typeof out.m === 'object' && out.m !== null ? (out.m as Record<string, unknown>) : out;
    const nk = Object.keys(nested);
    switch (r.int(0, 3)) {
      case 0: if (nk.length) delete nested[r.pick(nk)]; break;
      case 1: nested[r.pick(nk.length ? nk : keys)] = randomValue(r); break;
      case 2: nested[r.pick(['extra', 'pad', 'actionId', r.string(6)])] = randomValue(r); break;
      default: if (keys.length) out[r.pick(keys)] = r.pick([r.string(40), r.hex(r.int(0, 80)), r.int(-1, 1e9)]);
    }
  }
  return out;
}

/**
 * `count` random bad requests from `seed` (and `now`, the alerts' and reports' time): random JSON, mutated alerts and reports, raw bytes and
 * random credentials. Every alert that still passes the schema names a service, node and container
 * that the live task is not, so the manager must ignore it; reports are mutated until invalid.
 */
export function randomRequests(t: PayloadTarget, seed: number, count: number, now = Date.now()): BadRequest[] {
  const r = new Prng(seed);
  const auth = { ...JSON_TYPE, authorization: `Bearer ${t.token}` };
  const out: BadRequest[] = [];
  // a draw that turns out valid (a raw string that is JSON, a report that passes) is drawn again
  for (let i = 0; out.length < count && i < count * 3; i++) {
    const id = `bad-input:${seed}:${i}`;
    const kind = r.next();
    if (kind < 0.05) {
      // printable ASCII only: anything else is refused by the HTTP client and never reaches the manager
      const header = r.pick([`Bearer ${r.string(40, HEADER_CHARS)}`, `x${r.string(60, HEADER_CHARS)}`, `Bearer ${t.token.slice(0, r.int(0, t.token.length - 1))}`, `bearer ${r.hex(32)}`]);
      out.push({ label: 'random-credentials', method: 'POST', path: r.pick(['/alert', '/report']), headers: { ...JSON_TYPE, authorization: header }, body: JSON.stringify(randomValue(r)), expect: { status: 401 } });
      continue;
    }
    if (kind < 0.15) {
      const body = r.string(200);
      const valid = (() => { try { JSON.parse(body); return true; } catch { return false; } })();
      if (valid) continue; // a raw string that happens to be JSON is covered by the JSON cases
      out.push({ label: 'random-bytes', method: 'POST', path: r.pick(['/alert', '/report']), headers: auth, body, expect: { status: 400 } });
      continue;
    }
    if (kind < 0.35) {
      const path = r.pick(['/alert', '/report']);
      const value = randomValue(r);
      const ok = (path === '/alert' ? alertSchema : reportSchema).safeParse(value).success;
      if (ok) continue;
      out.push({ label: 'random-json', method: 'POST', path, headers: auth, body: JSON.stringify(value), expect: { status: 400 } });
      continue;
    }
    if (kind < 0.5) {
      const base = { node: r.pick([...t.nodes, 'worker-99']), t: now, containers: [{ service: r.pick([t.service, 'other']), container: r.hex(12), task: '', m: metricsOk }] };
      let body = mutate(r, base);
      for (let k = 0; k < 10 && reportSchema.safeParse(body).success; k++) body = mutate(r, body);
      if (reportSchema.safeParse(body).success) continue;
      out.push({ label: 'random-report', method: 'POST', path: '/report', headers: auth, body: JSON.stringify(body), expect: { status: 400 } });
      continue;
    }
    // never the live task's container: a schema-valid result must be ignored, never acted on
    const fields = {
      node: r.pick([t.otherNode, 'worker-99', t.nodes[0]]),
      service: r.pick([t.service, 'no-such-service', r.string(10, 'abcdefgh-')]),
      container: r.hex(12),
      task: r.pick(['', r.hex(25)]),
    };
    const body = mutate(r, alertBody(id, fields, now));
    const parsed = alertSchema.safeParse(body);
    out.push({
      label: 'random-alert',
      method: 'POST',
      path: '/alert',
      headers: auth,
      body: JSON.stringify(body),
      expect: parsed.success ? { ignored: true, alertId: parsed.data.id } : { status: 400 },
    });
  }
  return out;
}
