import { connect } from 'node:net';

/** Whether a TCP connection to `host:port` opens within `timeoutMs`; closed at once either way. */
export function tcpOpens(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The TCP ports a service publishes (`Endpoint.Spec.Ports`), any publish mode. */
export function publishedPorts(spec: Record<string, unknown>): number[] {
  const ports = (spec.EndpointSpec as { Ports?: Array<{ Protocol?: string; PublishedPort?: number }> } | undefined)?.Ports ?? [];
  return ports.filter((p) => (p.Protocol ?? 'tcp') === 'tcp' && typeof p.PublishedPort === 'number' && p.PublishedPort > 0).map((p) => p.PublishedPort!);
}
