import type Docker from 'dockerode';
import { parseEvents } from './events.ts';
import type { TimingEvent } from '../config/types.ts';
import { AGENT_SERVICE, MANAGER_SERVICE } from '../config/system-specs.ts';

/** Strips Docker's 8-byte stream headers from a non-TTY log buffer. */
export function demuxDockerLog(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return i === 0 ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** The text of a non-follow logs answer (dockerode gives a Buffer, or a string for an empty one). */
export function logText(buf: unknown): string {
  return demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
}

/** Swarm's service logs gave no complete answer in any of serviceLogs' attempts. */
export class ServiceLogsTimeout extends Error {}

/**
 * Log text of a swarm service since an epoch-ms instant (the swarm gathers it from every node). A
 * request that has not ended after `timeoutMs` is aborted and made again: swarm's service logs
 * now and then never end (moby/moby#38640, docker/cli#4678; seen in CI at 04:10: the agent's lab test
 * waited for them until its 300 s timeout).
 */
export async function serviceLogs(docker: Docker, service: string, sinceMs: number, { timeoutMs = 15_000, attempts = 3 } = {}): Promise<string> {
  const since = Math.max(0, Math.floor(sinceMs / 1000) - 1);
  for (let attempt = 1; ; attempt++) {
    try {
      return logText(await docker.getService(service).logs({ stdout: true, stderr: true, follow: false, since, abortSignal: AbortSignal.timeout(timeoutMs) }));
    } catch (err) {
      const timedOut = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError';
      if (!timedOut) throw err;
      if (attempt >= attempts) throw new ServiceLogsTimeout(`logs of service ${service}: no complete answer in ${attempts} attempts of ${timeoutMs / 1000} s each`, { cause: err });
    }
  }
}

/**
 * Log text of a swarm service's containers since an epoch-ms instant, read from each node's own
 * daemon (`nodes`: node name → client) instead of through the swarm's log broker; a container that
 * is gone is not read. Each request is bounded by `timeoutMs`.
 */
export async function nodeContainerLogs(nodes: ReadonlyMap<string, Docker>, service: string, sinceMs: number, timeoutMs = 15_000): Promise<string> {
  const since = Math.max(0, Math.floor(sinceMs / 1000) - 1);
  const texts = await Promise.all(
    [...nodes].map(async ([node, d]) => {
      const list = (await d.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${service}`] }, abortSignal: AbortSignal.timeout(timeoutMs) })) as { Id: string }[];
      const logs = await Promise.all(
        list.map(async (c) => {
          try {
            return logText(await d.getContainer(c.Id).logs({ stdout: true, stderr: true, follow: false, since, abortSignal: AbortSignal.timeout(timeoutMs) }));
          } catch (err) {
            if ((err as { statusCode?: number }).statusCode === 404) return ''; // removed since the listing
            throw new Error(`logs of ${service} container ${c.Id.slice(0, 12)} on ${node}: ${(err as Error).message}`, { cause: err });
          }
        }),
      );
      return logs.join('\n');
    }),
  );
  return texts.join('\n');
}

/**
 * The T-events that agents and manager logged since `sinceMs` (host clocks, not yet corrected),
 * through the swarm's service logs; when those give no answer (serviceLogs' attempts) and the
 * nodes' own daemons are given, from each node's containers of the service instead.
 */
export async function scrapeEvents(
  docker: Docker,
  sinceMs: number,
  services = [AGENT_SERVICE, MANAGER_SERVICE],
  nodes?: ReadonlyMap<string, Docker>,
  logs: { timeoutMs?: number; attempts?: number } = {},
): Promise<TimingEvent[]> {
  const texts = await Promise.all(
    services.map((s) =>
      serviceLogs(docker, s, sinceMs, logs).catch((err: Error) => {
        if (!nodes || !(err instanceof ServiceLogsTimeout)) throw err;
        return nodeContainerLogs(nodes, s, sinceMs, logs.timeoutMs);
      }),
    ),
  );
  return parseEvents(texts.join('\n')).filter((e) => e.t >= sinceMs - 1000);
}
