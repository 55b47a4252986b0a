import { describe, expect, it } from 'vitest';
import { NodeFailureDetector, type ProbeResult } from '../src/node-failure-detector.ts';
import { FakeClock } from './fake-swarm.ts';

const INTERVAL = 500;

function detector(o: { missedReports?: number; probeFailures?: number } = {}) {
  const clock = new FakeClock();
  const d = new NodeFailureDetector(clock, () => ({ reportIntervalMs: INTERVAL, missedReports: o.missedReports ?? 2, probeFailures: o.probeFailures ?? 2 }));
  return { clock, d };
}

const closed: ProbeResult = { tried: ['10.0.0.2:8080'] };
const open: ProbeResult = { tried: ['10.0.0.2:8080'], reachable: '10.0.0.2:8080' };

/** Ticks every 100 ms up to `untilMs` after the start, with `w2` reporting until `reportsUntil` and probed by `probe`. */
async function run(d: NodeFailureDetector, clock: FakeClock, o: { untilMs: number; reportsUntil: number; resumeAt?: number; probe: (at: number) => ProbeResult }) {
  const start = clock.now();
  const seen = new Map([['w1', start], ['w2', start]]);
  const events: Array<{ at: number; event: string; [k: string]: unknown }> = [];
  const probed: number[] = [];
  for (let at = 0; at <= o.untilMs; at += 100) {
    clock.t = start + at;
    seen.set('w1', clock.now() - (at % INTERVAL)); // w1's agent reports every interval throughout
    const reporting = at <= o.reportsUntil || (o.resumeAt !== undefined && at >= o.resumeAt);
    if (reporting && at % INTERVAL === 0) seen.set('w2', clock.now());
    const out = await d.tick(seen, async (node) => {
      probed.push(at);
      expect(node).toBe('w2');
      return o.probe(at);
    });
    for (const e of out) events.push({ at, ...e });
  }
  return { events, probed, start };
}

describe('node failure detector', () => {
  it('missed reports and unreachable ports: failed after k missed reports and m failed probe rounds, T0 the first missed report', async () => {
    const { clock, d } = detector();
    const { events, start } = await run(d, clock, { untilMs: 3000, reportsUntil: 1000, probe: () => closed });
    // last report at 1000 ms; silent past 2 intervals (1000 ms) from 2100 ms; two failed rounds: 2100, 2200
    expect(events.map((e) => `${e.at} ${e.event}`)).toEqual(['2100 node_failure_suspected', '2200 node_failure_detected']);
    expect(events[0]).toMatchObject({ node: 'w2', t0: start + 1500, lastReportAt: start + 1000, silentForMs: 1100 });
    expect(events[1]).toMatchObject({ node: 'w2', t0: start + 1500, probesFailed: 2, unreachable: ['10.0.0.2:8080'] });
    expect(d.failed()).toEqual(['w2']);
  });

  it('a silent agent whose node still answers (an agent restart) is ruled out once, then cleared when reports resume: never failed', async () => {
    const { clock, d } = detector();
    const { events } = await run(d, clock, { untilMs: 6000, reportsUntil: 1000, resumeAt: 4000, probe: () => open });
    expect(events.map((e) => `${e.at} ${e.event}`)).toEqual(['2100 node_failure_suspected', '2100 node_failure_ruled_out', '4000 node_suspicion_cleared']);
    expect(d.failed()).toEqual([]);
  });

  it('a blip shorter than k report intervals is never even probed', async () => {
    const { clock, d } = detector({ missedReports: 3 });
    // one report missed (at 1500): the gap 1000 → 2000 is below 3 intervals
    const start = clock.now();
    const seen = new Map([['w2', start]]);
    let probes = 0;
    for (let at = 0; at <= 4000; at += 100) {
      clock.t = start + at;
      if (at % INTERVAL === 0 && at !== 1500) seen.set('w2', clock.now());
      const out = await d.tick(seen, async () => {
        probes += 1;
        return closed;
      });
      expect(out).toEqual([]);
    }
    expect(probes).toBe(0);
  });

  it('a network blip: silent past k and one probe round failing, then the ports answer again: not failed', async () => {
    const { clock, d } = detector({ probeFailures: 3 });
    const { events } = await run(d, clock, { untilMs: 5000, reportsUntil: 1000, resumeAt: 3000, probe: (at) => (at < 2300 ? closed : open) });
    expect(events.map((e) => e.event)).toEqual(['node_failure_suspected', 'node_failure_ruled_out', 'node_suspicion_cleared']);
    expect(d.failed()).toEqual([]);
  });

  it('failed probe rounds must be in a row: an answer between them starts the count again', async () => {
    const { clock, d } = detector({ probeFailures: 2 });
    const { events } = await run(d, clock, { untilMs: 3000, reportsUntil: 1000, probe: (at) => (at === 2200 ? open : closed) });
    expect(events.map((e) => `${e.at} ${e.event}`)).toEqual(['2100 node_failure_suspected', '2200 node_failure_ruled_out', '2400 node_failure_detected']);
  });

  it('a silent node with no port to probe is unconfirmed, said once, and not failed', async () => {
    const { clock, d } = detector();
    const { events } = await run(d, clock, { untilMs: 4000, reportsUntil: 1000, probe: () => ({ tried: [] }) });
    expect(events.map((e) => e.event)).toEqual(['node_failure_suspected', 'node_failure_unconfirmed']);
    expect(d.failed()).toEqual([]);
  });

  it('a failed node is not judged again until restored; then its next silence starts afresh', async () => {
    const { clock, d } = detector({ probeFailures: 1 });
    const first = await run(d, clock, { untilMs: 3000, reportsUntil: 1000, probe: () => closed });
    expect(first.events.filter((e) => e.event === 'node_failure_detected')).toHaveLength(1);
    expect(first.probed).toEqual([2100]);
    d.restore('w2');
    expect(d.failed()).toEqual([]);
    const second = await run(d, clock, { untilMs: 3000, reportsUntil: 1000, probe: () => closed });
    expect(second.events.map((e) => e.event)).toEqual(['node_failure_suspected', 'node_failure_detected']);
  });

  it('nodes that never reported are not judged', async () => {
    const { d } = detector();
    expect(await d.tick(new Map(), async () => closed)).toEqual([]);
  });
});
