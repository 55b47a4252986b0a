import type Docker from 'dockerode';
import type { LabConfig } from '../config/lab-config.ts';
import { swarmNodes } from '../config/lab-config.ts';
import { dockerClient } from './docker-clients.ts';
import { estimateClockOffset } from '../events/clock-offset.ts';
import type { ClockOffset } from '../config/types.ts';
import type { LoadGenerators } from '../load/load-generators.ts';
import { shQuote } from '../load/load-script.ts';
import { nodeEndpoint, nodeSshTarget, type SshTarget } from '../remote/endpoint.ts';
import { connectSsh, type ConnectOptions } from '../remote/ssh-connect.ts';
import { sshLineChannel } from '../remote/ssh-line-channel.ts';

/** A node's clock as its Docker daemon reports it (GET /info SystemTime, RFC 3339 with ns). */
export async function dockerNow(docker: Docker): Promise<number> {
  const info = (await docker.info()) as { SystemTime: string };
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(info.SystemTime);
  if (!m) throw new Error(`unexpected SystemTime ${info.SystemTime}`);
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(m[2]) * 1000 : 0;
  return whole + frac;
}

/**
 * Each swarm node's clock offset against this (control) host, by round-trip midpoint: over one SSH
 * channel for a node reached by ssh:// or with an SSH login in lab.yaml (see sshClockOffset), else
 * over its Docker API, whose answers carry the daemon's work and so a wider uncertainty.
 */
export async function measureClockOffsets(lab: LabConfig, samples = 7, connect: ConnectOptions = {}): Promise<ClockOffset[]> {
  const out: ClockOffset[] = [];
  for (const n of swarmNodes(lab)) {
    // one host at a time: parallel round trips would share the CPU and widen each other's RTT
    const endpoint = nodeEndpoint(lab, n);
    if (endpoint.kind === 'ssh' || (lab.kind === 'remote' && n.ssh)) {
      out.push(await sshClockOffset(endpoint.kind === 'ssh' ? endpoint.target : nodeSshTarget(n), samples, connect));
      continue;
    }
    const d = dockerClient(lab, n);
    await dockerNow(d); // warm the connection so the first round trip is not an outlier
    const { raw: _raw, ...offset } = await estimateClockOffset(n.name, () => dockerNow(d), { samples });
    out.push(offset);
  }
  return out;
}

/** Prints the host's epoch time: `r <EPOCHREALTIME>` (bash, busybox ash), else `n <date +%s%N>`. */
export const REMOTE_CLOCK_COMMAND = 't=${EPOCHREALTIME:-}; if [ -n "$t" ]; then echo "r $t"; else echo "n $(date +%s%N)"; fi';

const CLOCK_LOOP = `while read x; do ${REMOTE_CLOCK_COMMAND}; done`;

/**
 * The remote side of sshClockOffset: answers each line on stdin with REMOTE_CLOCK_COMMAND's line.
 * Under bash where there is one: its EPOCHREALTIME reads the clock without a fork, where a plain sh
 * (dash) forks `date` for every reading and puts its start-up (2–5 ms) into the round trip.
 */
export const REMOTE_CLOCK_LOOP = `if command -v bash >/dev/null 2>&1; then exec bash -c ${shQuote(CLOCK_LOOP)}; else exec sh -c ${shQuote(CLOCK_LOOP)}; fi`;

/** Epoch ms from REMOTE_CLOCK_COMMAND's output; an error names the host when it has no sub-second clock. */
export function parseRemoteClock(host: string, out: string): number {
  const text = out.trim();
  const r = /^r (\d{9,})[.,](\d{1,9})$/.exec(text);
  if (r) return Number(r[1]) * 1000 + Number(`0.${r[2]}`) * 1000;
  const n = /^n (\d{16,})$/.exec(text);
  if (n) return Number(n[1].slice(0, -6)) + Number(n[1].slice(-6)) / 1e6;
  throw new Error(`${host}: no sub-second clock to measure its offset (expected "r <EPOCHREALTIME>" or "n <date +%s%N>", got ${JSON.stringify(text.slice(0, 80))})`);
}

/**
 * Each load generator's clock offset against this (control) host, by round-trip midpoint. The
 * clock is read by a small loop on one open SSH channel, one line per reading: a fresh command per
 * reading would put a channel set-up and a login shell into every round trip, and its clock read
 * at the far end of that, which biases the midpoint by up to the whole shell start-up.
 */
export async function measureGeneratorOffsets(gens: LoadGenerators, samples = 7): Promise<ClockOffset[]> {
  const out: ClockOffset[] = [];
  for (const g of gens.generators) {
    // one host at a time: parallel round trips would share the CPU and widen each other's RTT
    const channel = await gens.lineChannel(g, REMOTE_CLOCK_LOOP);
    try {
      const now = async () => parseRemoteClock(g, await channel.request('t'));
      await now(); // the loop's first answer (and the channel) warmed up
      const { raw: _raw, ...offset } = await estimateClockOffset(g, now, { samples });
      out.push(offset);
    } finally {
      channel.close();
    }
  }
  return out;
}

/**
 * A host's clock offset over its own SSH connection: one login, one exec channel running a read
 * loop, one line per reading. Over the Docker API an ssh:// reading would carry a dial-stdio
 * channel and a docker CLI start-up (docker-modem's transport even a full SSH handshake) inside
 * its round trip; this way each reading is one network round trip and the uncertainty (RTT / 2 of
 * the fastest sample) is about the network alone.
 */
export async function sshClockOffset(target: SshTarget, samples = 7, connect: ConnectOptions = {}): Promise<ClockOffset> {
  const conn = await connectSsh(target, connect);
  try {
    const channel = await sshLineChannel(conn, REMOTE_CLOCK_LOOP);
    try {
      const now = async () => parseRemoteClock(target.name, await channel.request('t'));
      await now(); // the loop's first answer warmed up
      const { raw: _raw, ...offset } = await estimateClockOffset(target.name, now, { samples });
      return offset;
    } finally {
      channel.close();
    }
  } finally {
    conn.close();
  }
}
