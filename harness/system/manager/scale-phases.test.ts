import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLogger } from '../../../system/shared/event-logger.ts';
import { buildApp } from '../../../system/manager/src/app.ts';
import { systemClock } from '../../../system/manager/src/clock.ts';
import { parseConfig } from '../../../system/manager/src/config.ts';
import { RecoveryManager } from '../../../system/manager/src/recovery-manager.ts';
import { reportCeiling, scaleDownTick } from './in-process-costs.ts';
import { JsonPoster } from './json-poster.ts';
import { ManagerProcess } from './manager-process.ts';
import { alertSubjects, runDecisionPhase } from './scale-alerts.ts';
import { flood, NodeReports, streamFlood } from './scale-reports.ts';
import { SimulatedSwarm } from './simulated-swarm.ts';
import { buildLayout, type LayoutShape } from './swarm-layout.ts';

// The benchmark's phases on a small swarm, over real HTTP on 127.0.0.1: they run, count and read
// back what they should. No timing is asserted.
// at most 5 replicas on 10 nodes: every migration finds a free node (host mode: one task per node)
const SMALL: LayoutShape = { nodes: 10, services: 20, tasks: 60, globalServices: 1, maxReplicas: 5, managers: 1, zones: 1, seed: 3 };
const TOKEN = 'test-token-0123456789abcdef';
const layout = buildLayout(SMALL);
const swarm = new SimulatedSwarm(layout, systemClock, { startMs: 30, stopMs: 10 });
const config = parseConfig('manager: {migration: {poll_interval_ms: 20}}', {}, 'test');
const manager = new RecoveryManager({ port: swarm, clock: systemClock, events: new EventLogger('manager', 'test', { write: () => undefined }), config: () => config });
const app = buildApp({ manager, clock: systemClock, token: TOKEN });
let address = '';
let poster: JsonPoster;

beforeAll(async () => {
  address = await app.listen({ host: '127.0.0.1', port: 0 });
  poster = new JsonPoster(address, TOKEN, 4);
});

afterAll(async () => {
  poster.close();
  await manager.idle();
  await app.close();
});

describe('the scale benchmark phases', () => {
  it('decision phase: T2 and T3 of every counted alert, actions and ignores, every action ended', async () => {
    const reports = new NodeReports(layout, 1);
    for (const n of reports.nodes) expect((await poster.post('/report', n.body(Date.now()))).status).toBe(202);
    const phase = await runDecisionPhase(poster, address, alertSubjects(layout, 150, 2), 30);
    expect(phase.samples).toHaveLength(120);
    for (const s of phase.samples) expect(s.decisionMs).toBeGreaterThanOrEqual(0);
    const decisions = new Set(phase.samples.map((s) => s.decision));
    expect(decisions).toContain('ignore');
    expect(phase.actions.size).toBeGreaterThan(0);
    expect([...phase.actions.values()].every((e) => e === 'action_completed')).toBe(true);
    expect(phase.peakInFlight).toBeGreaterThanOrEqual(1);
    expect(phase.events.get('alert_received')).toBe(150);
  });

  it('flood: every report accepted, with all of its containers', async () => {
    const reports = new NodeReports(layout, 1);
    const result = await flood(poster, reports, 0.3, 3);
    expect(result.errors).toBe(0);
    expect(result.reports).toBeGreaterThan(0);
    const sizes = reports.nodes.map((n) => n.containers);
    expect(result.containers).toBeGreaterThanOrEqual(result.reports * Math.min(...sizes));
    expect(result.containers).toBeLessThanOrEqual(result.reports * Math.max(...sizes));
  });

  it('stream flood: every stream answered 200, its reports and containers counted by the manager', async () => {
    const reports = new NodeReports(layout, 1);
    const result = await streamFlood(address, TOKEN, reports, 0.3, 3, 7);
    expect(result.errors).toBe(0);
    expect(result.reports).toBeGreaterThan(0);
    expect(result.rttMs.length * 7).toBeGreaterThanOrEqual(result.reports); // every stream answered, none with more than 7
    const sizes = reports.nodes.map((n) => n.containers);
    expect(result.containers).toBeGreaterThanOrEqual(result.reports * Math.min(...sizes));
    expect(result.containers).toBeLessThanOrEqual(result.reports * Math.max(...sizes));
  });

  it('the manager process: bundled, listening, reads its memory, stops cleanly and says what the swarm was asked', async () => {
    await using child = await ManagerProcess.start(SMALL, { startMs: 30, stopMs: 10 }, TOKEN);
    const health = await fetch(new URL('/health', child.address));
    expect(health.status).toBe(200);
    const p = new JsonPoster(child.address, TOKEN, 1);
    expect((await p.post('/report', new NodeReports(layout, 1).nodes[0].body(Date.now()))).status).toBe(202);
    p.close();
    expect((await child.memory()).heapUsed).toBeGreaterThan(0);
    const stopped = await child.stop();
    expect(stopped?.swarmCalls).toBeGreaterThan(0);
  }, 60_000);

  it('in-process costs: every step measured, the scale-down tick over every listed service', async () => {
    const reports = new NodeReports(layout, 1);
    const steps = reportCeiling(layout, reports, 20);
    expect(steps.map((s) => s.step)).toEqual([
      'JSON.parse of a stream line (columns)',
      'schema check (parseColumnReport: by hand, zod on failure only)',
      `handleColumns, 10 nodes in turn (${layout.tasks.length} containers cached)`,
      `handleColumns, one node (${reports.nodes[0].containers} containers cached)`,
      'for comparison, POST /report: JSON.parse of the body (entries)',
      'for comparison, POST /report: parseReport + toColumns',
      "for comparison: zod's check of the same columns",
    ]);
    for (const s of steps) expect(s.us).toBeGreaterThan(0);
    const tick = await scaleDownTick(layout, reports, 2);
    expect(tick.services).toBe(20);
    expect(Number.isFinite(tick.medianMs)).toBe(true);
  });
});
