import { afterEach, describe, expect, it } from 'vitest';
import { appFixture } from './app-fixture.ts';

let fixture = appFixture();
afterEach(async () => {
  await fixture.deps.supervisor.stopAll();
  await fixture.app.close();
  fixture = appFixture();
});

const get = (url: string) => fixture.app.inject({ method: 'GET', url });

function expectHeaders(response: { headers: Record<string, unknown> }) {
  expect(response.headers['x-served-by']).toBe('5e30b5e17ad4');
  expect(response.headers['x-node']).toBe('worker-3');
}

describe('GET /health', () => {
  it('is healthy with its uptime', async () => {
    fixture.clock.advance(1500);
    const response = await get('/health');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'healthy', uptime: 1.5 });
    expectHeaders(response);
  });

  it('answers 503 once shutting down', async () => {
    fixture.deps.lifecycle.shuttingDown = true;
    const response = await get('/health');
    expect(response.statusCode).toBe(503);
    expect(response.json().status).toBe('shutting_down');
    expectHeaders(response);
  });
});

describe('GET /ping', () => {
  it('answers 200 with the serving container and node', async () => {
    const response = await get('/ping');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expectHeaders(response);
  });

  it('keeps answering 200 while shutting down (only /health fails)', async () => {
    fixture.deps.lifecycle.shuttingDown = true;
    expect((await get('/ping')).statusCode).toBe(200);
    expect((await get('/health')).statusCode).toBe(503);
  });
});

describe('GET /metrics', () => {
  it('reports cpu of the limit, memory, network and the active stress', async () => {
    fixture.clock.advance(1000);
    fixture.meter.micros += 250_000;
    fixture.reader.net = { rxBytes: 125_000, txBytes: 250_000 };
    await get('/stress/cpu?target=50&duration=10');
    const response = await get('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      cpu_percent: 50,
      cpu_limit_cores: 0.5,
      memory_mb: 40,
      memory_limit_mb: 512,
      memory_percent: 7.81,
      network_rx_mbps: 1,
      network_tx_mbps: 2,
      active_stress: [{ kind: 'cpu', target: 50 }],
    });
    expectHeaders(response);
  });
});

describe('GET /stress/cpu', () => {
  it('starts a ramp and reports it', async () => {
    const response = await get('/stress/cpu?target=80&duration=30&ramp=5');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'started',
      stress: { kind: 'cpu', target: 80, unit: '%', ramp_s: 5, duration_s: 30, phase: 'ramp', detail: { threads: 1 } },
      replaced: null,
    });
    expect(fixture.pools).toHaveLength(1);
    expectHeaders(response);
  });

  it('replaces a running CPU stress', async () => {
    await get('/stress/cpu?target=30');
    const response = await get('/stress/cpu?target=60');
    expect(response.json()).toMatchObject({ stress: { target: 60 }, replaced: { kind: 'cpu', target: 30 } });
    expect(fixture.pools[0].terminated).toBe(true);
  });

  it.each([
    ['target=abc', 'target', { min: 0, max: 100 }],
    ['target=101', 'target', { min: 0, max: 100 }],
    ['target=-5', 'target', { min: 0, max: 100 }],
    ['', 'target', { min: 0, max: 100 }],
    ['target=50&duration=0', 'duration', { min: 1, max: 3600 }],
    ['target=50&duration=4000', 'duration', { min: 1, max: 3600 }],
    ['target=50&duration=x', 'duration', { min: 1, max: 3600 }],
    ['target=50&ramp=601', 'ramp', { min: 0, max: 600 }],
    ['target=50&ramp=-1', 'ramp', { min: 0, max: 600 }],
  ])('?%s → 400 naming %s', async (query, parameter, allowed) => {
    const response = await get(`/stress/cpu?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ parameter, allowed, error: expect.stringContaining(`${parameter}: `) });
    expectHeaders(response);
    expect(fixture.pools).toHaveLength(0);
  });

  it('rejects an unknown parameter instead of ignoring it', async () => {
    const response = await get('/stress/cpu?target=50&durration=10');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ parameter: 'durration', allowed: 'one of target, duration, ramp' });
  });
});

describe('GET /stress/memory', () => {
  it('starts a memory ramp', async () => {
    const response = await get('/stress/memory?target=200&duration=60&ramp=10');
    expect(response.json()).toMatchObject({ stress: { kind: 'memory', target: 200, unit: 'MB' } });
    fixture.clock.advance(5000);
    expect(fixture.holders[0].grown.at(-1)).toBe(100);
  });

  it.each([
    ['target=0', 'target'],
    ['target=449', 'target'], // 512 MB limit − 64 MB headroom
    ['target=100.5', 'target'],
    ['target=lots', 'target'],
    ['target=100&duration=3601', 'duration'],
    ['target=100&ramp=1e9', 'ramp'],
  ])('?%s → 400 naming %s', async (query, parameter) => {
    const response = await get(`/stress/memory?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().parameter).toBe(parameter);
    expectHeaders(response);
  });

  it('states the limit-derived maximum', async () => {
    const response = await get('/stress/memory?target=1000');
    expect(response.json()).toMatchObject({
      allowed: { min: 1, max: 448, unit: 'MB', note: expect.stringContaining('container memory limit 512 MB') },
    });
  });

  it('caps at 4096 MB without a container limit', async () => {
    fixture = appFixture({ sink: 'udp://s:1', memoryLimitMb: null });
    expect((await get('/stress/memory?target=4096')).statusCode).toBe(200);
    expect((await get('/stress/memory?target=4097')).json().allowed.max).toBe(4096);
  });
});

describe('GET /stress/network', () => {
  it('starts paced UDP traffic to the sink', async () => {
    const response = await get('/stress/network?bandwidth=20&duration=10&ramp=2');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ stress: { kind: 'network', target: 20, unit: 'Mbps', detail: { sink: 'udp://sink.test:5001' } } });
    fixture.clock.advance(3000);
    expect(fixture.senders[0].datagrams).toBeGreaterThan(0);
  });

  it.each([
    ['bandwidth=1001', 'bandwidth'],
    ['bandwidth=-1', 'bandwidth'],
    ['bandwidth=fast', 'bandwidth'],
    ['', 'bandwidth'],
    ['bandwidth=10&duration=0', 'duration'],
    ['bandwidth=10&ramp=700', 'ramp'],
    ['target=10', 'target'],
  ])('?%s → 400 naming %s', async (query, parameter) => {
    const response = await get(`/stress/network?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().parameter).toBe(parameter);
    expectHeaders(response);
  });

  it('answers 409 without NETWORK_SINK and sends nothing', async () => {
    fixture = appFixture({ sink: undefined });
    const response = await get('/stress/network?bandwidth=10');
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toContain('NETWORK_SINK is not set');
    expectHeaders(response);
    expect(fixture.senders).toHaveLength(0);
  });
});

describe('GET /stress/combined', () => {
  it('starts all three with one ramp and duration', async () => {
    const response = await get('/stress/combined?cpu=80&memory=200&network=5&duration=60&ramp=10');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.stress.map((s: { kind: string }) => s.kind).sort()).toEqual(['cpu', 'memory', 'network']);
    for (const stress of body.stress) expect(stress).toMatchObject({ ramp_s: 10, duration_s: 60 });
  });

  it('a kind given as 0 stops that kind', async () => {
    await get('/stress/network?bandwidth=50');
    const response = await get('/stress/combined?cpu=80&memory=100&network=0');
    expect(response.json()).toMatchObject({ stopped: [{ kind: 'network', target: 50 }] });
    expect(fixture.senders[0].closed).toBe(true);
    expect(fixture.deps.supervisor.active().map((s) => s.kind).sort()).toEqual(['cpu', 'memory']);
  });

  it('works without a sink when network is 0, but not when it is asked for', async () => {
    fixture = appFixture({ sink: undefined });
    expect((await get('/stress/combined?cpu=50')).statusCode).toBe(200);
    expect((await get('/stress/combined?cpu=50&network=1')).statusCode).toBe(409);
  });

  it('starts nothing when the sink host does not resolve', async () => {
    fixture = appFixture({ sink: 'udp://sink.test:5001', sinkFails: true });
    const response = await get('/stress/combined?cpu=50&memory=100&network=5');
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toContain('does not resolve');
    expect(fixture.deps.supervisor.active()).toEqual([]);
    expect(fixture.pools).toHaveLength(0);
  });

  it.each([
    ['cpu=0&memory=0&network=0', 'cpu,memory,network'],
    ['', 'cpu,memory,network'],
    ['cpu=120', 'cpu'],
    ['cpu=50&memory=449', 'memory'],
    ['cpu=50&memory=-1', 'memory'],
    ['cpu=50&network=2000', 'network'],
    ['cpu=50&duration=0', 'duration'],
    ['cpu=50&ramp=601', 'ramp'],
    ['cpu=50&target=3', 'target'],
  ])('?%s → 400 naming %s', async (query, parameter) => {
    const response = await get(`/stress/combined?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().parameter).toBe(parameter);
    expect(fixture.deps.supervisor.active()).toEqual([]);
  });
});

describe('GET /stress/stop', () => {
  it('stops everything at once and says what was stopped', async () => {
    await get('/stress/combined?cpu=80&memory=100&network=10&duration=600');
    const response = await get('/stress/stop');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('stopped');
    expect(body.stopped.map((s: { kind: string }) => s.kind).sort()).toEqual(['cpu', 'memory', 'network']);
    expect(fixture.pools[0].terminated && fixture.holders[0].released && fixture.senders[0].closed).toBe(true);
    expect(fixture.clock.pendingTimers).toBe(0);
    expect((await get('/metrics')).json().active_stress).toEqual([]);
    expectHeaders(response);
  });

  it('is harmless when nothing runs', async () => {
    expect((await get('/stress/stop')).json()).toEqual({ status: 'stopped', stopped: [] });
  });
});

describe('GET /compute/pi', () => {
  it('computes pi with the given iterations', async () => {
    const response = await get('/compute/pi?iterations=100000');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.iterations).toBe(100000);
    expect(Math.abs(body.pi - Math.PI)).toBeLessThan(1e-4);
    expect(body.duration_ms).toBeGreaterThanOrEqual(0);
    expectHeaders(response);
  });

  it.each(['iterations=0', 'iterations=50000001', 'iterations=1.5', 'iterations=many', 'n=5'])('?%s → 400', async (query) => {
    const response = await get(`/compute/pi?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().parameter).toBe(query.split('=')[0]);
  });
});

describe('GET /api/data', () => {
  it('returns exactly n KiB', async () => {
    const response = await get('/api/data?kb=100');
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.length).toBe(100 * 1024);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expectHeaders(response);
    expect((await get('/api/data')).rawPayload.length).toBe(64 * 1024);
    expect((await get('/api/data?kb=0')).rawPayload.length).toBe(0);
  });

  it.each(['kb=10241', 'kb=-1', 'kb=0.5', 'kb=big', 'size=1'])('?%s → 400', async (query) => {
    const response = await get(`/api/data?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().parameter).toBe(query.split('=')[0]);
    expectHeaders(response);
  });
});

describe('GET /api/work', () => {
  it('does the CPU work, then returns exactly n KiB', async () => {
    const response = await get('/api/work?iterations=200000&kb=32');
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.length).toBe(32 * 1024);
    expect(Number(response.headers['x-work-ms'])).toBeGreaterThan(0);
    expectHeaders(response);
  });

  it.each(['iterations=0&kb=1', 'iterations=100&kb=10241', 'iterations=x&kb=1'])('?%s → 400', async (query) => {
    const response = await get(`/api/work?${query}`);
    expect(response.statusCode).toBe(400);
    expect(['iterations', 'kb']).toContain(response.json().parameter);
  });
});

describe('unknown routes', () => {
  it('answer 404 JSON with the headers', async () => {
    const response = await get('/nope?x=1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'no route GET /nope' });
    expectHeaders(response);
  });
});
