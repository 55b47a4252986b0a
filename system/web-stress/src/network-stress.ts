import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { Clock } from './clock.ts';
import { SinkUnavailableError, type NetworkSink } from './network-sink.ts';
import { RampedEngine } from './ramped-engine.ts';
import type { RampPlan } from './types.ts';

/** A UDP sender to one resolved address. */
export interface DatagramSender {
  send(payload: Buffer): void;
  close(): Promise<void>;
  /** Sends that failed (counted, never thrown: a missing receiver must not stop the load). */
  readonly errors: number;
}

export type SenderFactory = (sink: NetworkSink) => Promise<DatagramSender>;

const isLoopback = (address: string) => address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');

/**
 * Resolves the sink once and sends unconnected, so an ICMP "port unreachable" from a sink
 * without a listener does not turn later sends into ECONNREFUSED errors. A loopback sink is
 * refused unless allowed (tests): its traffic would never leave the container's interface.
 */
export const createUdpSender = (options: { allowLoopback?: boolean } = {}): SenderFactory => async (sink) => {
  const { address, family } = await lookup(sink.host).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SinkUnavailableError(`network stress unavailable: NETWORK_SINK host ${JSON.stringify(sink.host)} does not resolve (${reason})`);
  });
  if (isLoopback(address) && !options.allowLoopback) {
    throw new SinkUnavailableError(
      `network stress unavailable: NETWORK_SINK host ${JSON.stringify(sink.host)} is loopback (${address}); its traffic would not leave the container`,
    );
  }
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  let errors = 0;
  socket.on('error', () => {
    errors += 1;
  });
  socket.unref();
  return {
    send(payload) {
      socket.send(payload, sink.port, address, (error) => {
        if (error) errors += 1;
      });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    get errors() {
      return errors;
    },
  };
};

/** UDP + IPv4 + Ethernet headers: what the interface counters add to each payload. */
export const WIRE_OVERHEAD_BYTES = 42;

export interface NetworkStressDeps {
  clock: Clock;
  sink: NetworkSink;
  sender?: SenderFactory;
  payloadBytes?: number;
  tickMs?: number;
  /** Credit kept at most, so a stalled event loop does not turn into a burst. */
  maxBurstMs?: number;
}

/** Paced UDP datagrams at `level` Mbps (counted as bytes on the wire), ramped like the others. */
export class NetworkStress extends RampedEngine {
  readonly kind = 'network';
  private readonly sink: NetworkSink;
  private readonly senderFactory: SenderFactory;
  private readonly payload: Buffer;
  private readonly maxBurstMs: number;
  private sender: DatagramSender | null = null;
  private creditBytes = 0;
  private lastAt = 0;
  private sentDatagrams = 0;
  private sentWireBytes = 0;

  constructor(deps: NetworkStressDeps) {
    super(deps.clock, deps.tickMs ?? 10);
    this.sink = deps.sink;
    this.senderFactory = deps.sender ?? createUdpSender();
    this.payload = Buffer.alloc(deps.payloadBytes ?? 1400, 0x5a);
    this.maxBurstMs = deps.maxBurstMs ?? 50;
  }

  get wireBytesPerDatagram(): number {
    return this.payload.length + WIRE_OVERHEAD_BYTES;
  }

  protected async begin(_plan: RampPlan): Promise<void> {
    this.sender = await this.senderFactory(this.sink);
    this.creditBytes = 0;
    this.lastAt = this.clock.now();
    this.sentDatagrams = 0;
    this.sentWireBytes = 0;
  }

  protected apply(level: number): void {
    const now = this.clock.now();
    const bytesPerMs = (level * 1e6) / 8 / 1000;
    const elapsed = now - this.lastAt;
    this.lastAt = now;
    const wire = this.wireBytesPerDatagram;
    const maxCredit = Math.max(wire, bytesPerMs * this.maxBurstMs);
    this.creditBytes = Math.min(this.creditBytes + bytesPerMs * elapsed, maxCredit);
    while (this.sender && this.creditBytes >= wire) {
      this.sender.send(this.payload);
      this.creditBytes -= wire;
      this.sentDatagrams += 1;
      this.sentWireBytes += wire;
    }
  }

  protected async release(): Promise<void> {
    const sender = this.sender;
    this.sender = null;
    await sender?.close();
  }

  protected detail(): Record<string, number | string> {
    return {
      sink: `udp://${this.sink.host}:${this.sink.port}`,
      datagrams_sent: this.sentDatagrams,
      wire_mb_sent: Math.round(this.sentWireBytes / 1e4) / 100,
      send_errors: this.sender?.errors ?? 0,
    };
  }
}
