import type Docker from 'dockerode';
import type { LabConfig } from './lab-config.ts';
import { swarmNodes } from './lab-config.ts';
import { dockerClient } from './docker-clients.ts';
import { estimateClockOffset } from './clock-offset.ts';
import type { ClockOffset } from './types.ts';

/** A node's clock as its Docker daemon reports it (GET /info SystemTime, RFC 3339 with ns). */
export async function dockerNow(docker: Docker): Promise<number> {
  const info = (await docker.info()) as { SystemTime: string };
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(info.SystemTime);
  if (!m) throw new Error(`unexpected SystemTime ${info.SystemTime}`);
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(m[2]) * 1000 : 0;
  return whole + frac;
}

/** Each swarm node's clock offset against this (control) host, by round-trip midpoint over the Docker API. */
export async function measureClockOffsets(lab: LabConfig, samples = 7): Promise<ClockOffset[]> {
  const out: ClockOffset[] = [];
  for (const n of swarmNodes(lab)) {
    const d = dockerClient(lab, n);
    await dockerNow(d); // warm the connection so the first round trip is not an outlier
    const { raw: _raw, ...offset } = await estimateClockOffset(n.name, () => dockerNow(d), { samples });
    out.push(offset);
  }
  return out;
}
