/** Where network stress sends its datagrams (env NETWORK_SINK, `udp://host:port`). */
export interface NetworkSink {
  host: string;
  port: number;
}

export type SinkConfig = { ok: true; sink: NetworkSink } | { ok: false; reason: string };

/** Parses NETWORK_SINK; there is deliberately no default address to send to. */
export function parseNetworkSink(value: string | undefined): SinkConfig {
  if (value === undefined || value.trim() === '') {
    return { ok: false, reason: 'NETWORK_SINK is not set; set it to udp://host:port to enable network stress' };
  }
  const expected = `NETWORK_SINK is ${JSON.stringify(value)}, expected udp://host:port with port 1-65535`;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, reason: expected };
  }
  const port = Number(url.port);
  if (url.protocol !== 'udp:' || !url.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, reason: expected };
  }
  return { ok: true, sink: { host: url.hostname.replace(/^\[|\]$/g, ''), port } };
}

/** The sink cannot be used (not configured, or its host does not resolve): HTTP 409. */
export class SinkUnavailableError extends Error {
  readonly statusCode = 409;
}
