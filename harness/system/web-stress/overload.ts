/**
 * A bounded overload of the app on the lab: does it stay reachable while its work queues?
 *
 *   npx tsx harness/system/web-stress/overload.ts [--rps 8] [--seconds 15] [--iterations 24726000]
 *
 * Sends `/api/work` requests to the lab's entrypoint at a fixed rate (set it above what the replica
 * can compute, see the README's Traffic section), and `/ping` every 100 ms with a 2 s timeout from
 * the start to 15 s after the last work request. The SwarmGuard manager is scaled to 0 for the run
 * (it would scale the app up or migrate it) and back afterwards. Prints failures and latencies of
 * both; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { loadLab, stateDir } from '../../lib/config/lab-config.ts';
import { managerDocker } from '../../lib/cluster/docker-clients.ts';
import { MANAGER_SERVICE } from '../../lib/config/system-specs.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';

interface Sample {
  ms: number;
  ok: boolean;
}

const { values } = parseArgs({
  options: { rps: { type: 'string', default: '8' }, seconds: { type: 'string', default: '15' }, iterations: { type: 'string', default: '24726000' } },
});
const rps = Number(values.rps);
const seconds = Number(values.seconds);
const iterations = Number(values.iterations);
if (!(rps > 0 && rps <= 100) || !(seconds > 0 && seconds <= 120) || !(Number.isInteger(iterations) && iterations >= 1)) {
  throw new Error(`--rps must be in (0, 100], --seconds in (0, 120], --iterations an integer ≥ 1; got ${rps}, ${seconds}, ${iterations}`);
}

async function timed(url: string, timeoutMs: number): Promise<Sample> {
  const start = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { ms: performance.now() - start, ok: res.ok };
  } catch {
    return { ms: performance.now() - start, ok: false };
  }
}

function line(name: string, samples: Sample[]): string {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(0);
  return `${name}: ${samples.length} sent, ${samples.filter((s) => !s.ok).length} failed; latency p50 ${at(0.5)}, p95 ${at(0.95)}, max ${at(1)} ms`;
}

const lab = await loadLab();
const release = await acquireLabLock(stateDir(lab), 'overload');
const manager = managerDocker(lab).getService(MANAGER_SERVICE);
const scale = async (replicas: number) => {
  const s = (await manager.inspect()) as { Version: { Index: number }; Spec: { Mode: { Replicated?: { Replicas: number } } } };
  await manager.update({ ...s.Spec, Mode: { Replicated: { Replicas: replicas } }, version: s.Version.Index });
};
try {
  await scale(0);
  await new Promise((r) => setTimeout(r, 3000));
  const sends = (n: number, everyMs: number, url: string, timeoutMs: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => new Promise<Sample>((resolve) => setTimeout(() => void timed(url, timeoutMs).then(resolve), i * everyMs))));
  const [work, ping] = await Promise.all([
    sends(Math.round(rps * seconds), 1000 / rps, `${lab.entrypoint}/api/work?iterations=${iterations}&kb=0`, 30_000),
    sends((seconds + 15) * 10, 100, `${lab.entrypoint}${lab.experiments.probe_path}`, 2000),
  ]);
  console.log(line('work', work));
  console.log(line('ping', ping));
} finally {
  await scale(1);
  await release();
}
