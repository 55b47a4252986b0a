import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseNetworkSink } from '../src/network-sink.ts';
import { NetworkStress, WIRE_OVERHEAD_BYTES, createUdpSender } from '../src/network-stress.ts';
import { FakeClock, FakeSender, flush } from './fakes.ts';

const sink = { host: '192.0.2.9', port: 9999 };

function setup() {
  const clock = new FakeClock();
  const senders: FakeSender[] = [];
  const engine = new NetworkStress({
    clock,
    sink,
    sender: async () => {
      const sender = new FakeSender();
      senders.push(sender);
      return sender;
    },
  });
  const wireMbit = (sender: FakeSender) => ((sender.bytes + sender.datagrams * WIRE_OVERHEAD_BYTES) * 8) / 1e6;
  return { clock, senders, engine, wireMbit };
}

describe('NetworkStress', () => {
  it('sends the target Mbps (counted on the wire) during the hold', async () => {
    const { clock, senders, engine, wireMbit } = setup();
    await engine.start({ target: 20, rampS: 0, durationS: 10 });
    clock.advance(1000);
    const first = wireMbit(senders[0]);
    clock.advance(2000);
    const rate = (wireMbit(senders[0]) - first) / 2;
    expect(rate).toBeGreaterThan(19.9);
    expect(rate).toBeLessThan(20.1);
  });

  it('ramps linearly: the first half of the ramp carries a quarter of its bytes', async () => {
    const { clock, senders, engine, wireMbit } = setup();
    await engine.start({ target: 40, rampS: 2, durationS: 10 });
    clock.advance(1000);
    const half = wireMbit(senders[0]);
    clock.advance(1000);
    const full = wireMbit(senders[0]);
    expect(full).toBeCloseTo(40, 0); // ∫ of the ramp = 40 Mbps × 2 s / 2
    expect(half / full).toBeCloseTo(0.25, 1);
  });

  it('does not burst after a stalled event loop', async () => {
    const { clock, senders, engine, wireMbit } = setup();
    await engine.start({ target: 8, rampS: 0, durationS: 60 });
    clock.advance(100);
    const before = wireMbit(senders[0]);
    clock.jump(2000);
    clock.advance(10);
    // the late tick gets at most 50 ms of credit, the next a normal 10 ms: 0.48 Mbit, not the 16 of the stall
    const sent = wireMbit(senders[0]) - before;
    expect(sent).toBeGreaterThan(0.4);
    expect(sent).toBeLessThan(0.5);
  });

  it('closes the socket at the end and on stop, and sends nothing after', async () => {
    const { clock, senders, engine } = setup();
    await engine.start({ target: 10, rampS: 0, durationS: 1 });
    clock.advance(1000);
    await flush();
    expect(senders[0].closed).toBe(true);
    expect(engine.status()).toBeNull();
    expect(clock.pendingTimers).toBe(0);
    await engine.start({ target: 10, rampS: 0, durationS: 60 });
    expect(await engine.stop()).toMatchObject({ kind: 'network', unit: 'Mbps', detail: { sink: 'udp://192.0.2.9:9999' } });
    expect(senders[1].closed).toBe(true);
    clock.advance(1000); // a send after close would throw
  });
});

describe('udpSender (real socket)', () => {
  it('delivers datagrams to the sink', async () => {
    const server = createSocket('udp4');
    let received = 0;
    server.on('message', (msg) => {
      received += msg.length;
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const sender = await createUdpSender({ allowLoopback: true })({ host: 'localhost', port: server.address().port });
    for (let i = 0; i < 5; i++) sender.send(Buffer.alloc(1400));
    const t0 = performance.now();
    while (received < 7000 && performance.now() - t0 < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    await sender.close();
    server.close();
    expect(received).toBe(7000);
    expect(sender.errors).toBe(0);
  });
});

describe('udpSender refusals', () => {
  it('a host that does not resolve is a 409 naming the host', async () => {
    await expect(createUdpSender()({ host: 'no-such-sink.invalid', port: 9 })).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('NETWORK_SINK host "no-such-sink.invalid" does not resolve'),
    });
  });

  it('refuses a loopback sink: its traffic would not leave the container', async () => {
    await expect(createUdpSender()({ host: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('is loopback (127.0.0.1)'),
    });
  });
});

describe('parseNetworkSink', () => {
  it('accepts udp://host:port', () => {
    expect(parseNetworkSink('udp://sink.lab:5001')).toEqual({ ok: true, sink: { host: 'sink.lab', port: 5001 } });
    expect(parseNetworkSink('udp://10.0.0.1:9')).toEqual({ ok: true, sink: { host: '10.0.0.1', port: 9 } });
  });

  it('refuses to guess a sink', () => {
    expect(parseNetworkSink(undefined)).toMatchObject({ ok: false, reason: expect.stringContaining('not set') });
    expect(parseNetworkSink('  ')).toMatchObject({ ok: false });
  });

  it.each(['tcp://h:1', 'udp://h', 'udp://h:0', 'udp://h:70000', 'h:5001', 'udp://:5001'])('rejects %s naming the value', (value) => {
    const result = parseNetworkSink(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(JSON.stringify(value));
  });
});
