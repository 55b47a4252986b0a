import type Docker from 'dockerode';
import { parseEvents } from './events.ts';
import type { TimingEvent } from './types.ts';
import { AGENT_SERVICE, MANAGER_SERVICE } from './system-specs.ts';

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
      const buf = (await docker.getService(service).logs({ stdout: true, stderr: true, follow: false, since, abortSignal: AbortSignal.timeout(timeoutMs) })) as unknown as Buffer;
      return demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    } catch (err) {
      const timedOut = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError';
      if (!timedOut) throw err;
      if (attempt >= attempts) throw new Error(`logs of service ${service}: no complete answer in ${attempts} attempts of ${timeoutMs / 1000} s each`, { cause: err });
    }
  }
}

/** The T-events that agents and manager logged since `sinceMs` (host clocks, not yet corrected). */
export async function scrapeEvents(docker: Docker, sinceMs: number, services = [AGENT_SERVICE, MANAGER_SERVICE]): Promise<TimingEvent[]> {
  const texts = await Promise.all(services.map((s) => serviceLogs(docker, s, sinceMs)));
  return parseEvents(texts.join('\n')).filter((e) => e.t >= sinceMs - 1000);
}
