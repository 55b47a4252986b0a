import { parseFlags } from './script-args.ts';
import { runCli, withLab, labFlag, helpFlag } from './cli-common.ts';
import { exitHelp } from './exit-codes.ts';
import type { LabConfig } from '../config/lab-config.ts';
import { managerDocker } from '../cluster/docker-clients.ts';
import { resetApp } from '../cluster/app-control.ts';
import { DockerSwarm } from '../cluster/docker-swarm.ts';
import { AGENT_SERVICE, MANAGER_SERVICE } from '../config/system-specs.ts';
import { generatorLogin } from '../load/load-generators.ts';
import { connectSsh, type SshConnection } from '../remote/ssh-connect.ts';
import { sshExec } from '../remote/ssh-exec.ts';

const HELP = `usage: npx zx harness/cleanup.mjs [--full] [--lab lab.yaml]
  Stops load-generator scripts left on every load generator, removes test services (label
  swarmguard.test), and resets the application (1 replica, no temporary constraint, no stress).
  --full  also removes SwarmGuard (agent, manager, application), its secrets and configs, and the
          metrics it stored (local lab: VictoriaMetrics series container_metrics_*).
  Reports in results/ are never touched.
${exitHelp({ ok: 'cleaned up' })}`;

/** Kills what load scripts of earlier runs left running (their pid files are in /tmp/swarmguard-load-*). */
const STOP_LOAD = [
  'n=0; for f in /tmp/swarmguard-load-*/*.pid; do [ -f "$f" ] || continue;',
  'p=$(cat "$f"); if grep -q swarmguard-load /proc/$p/cmdline 2>/dev/null || grep -q "$(dirname "$f")" /proc/$p/cmdline 2>/dev/null;',
  'then kill -TERM -$p 2>/dev/null || kill -TERM $p 2>/dev/null; n=$((n+1)); fi; done;',
  'rm -rf /tmp/swarmguard-load-*; echo $n',
].join(' ');

/** Every generator gets its turn: one that cannot be reached is reported and the clean-up goes on. */
async function stopLoad(lab: LabConfig, log: (l: string) => void): Promise<void> {
  for (const g of lab.load_generators) {
    let conn: SshConnection | undefined;
    try {
      conn = await connectSsh(generatorLogin(lab, g), { timeoutMs: 5000 });
      const r = await sshExec(conn, STOP_LOAD, { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`exited ${r.code ?? `on ${r.signal}`}: ${r.stderr.trim()}`);
      log(`${g.name}: stopped ${r.stdout.trim() || 0} load script(s)`);
    } catch (err) {
      log(`${g.name}: could not stop load: ${(err as Error).message}`);
    } finally {
      conn?.close();
    }
  }
}

export function main(argv: string[]): Promise<number> {
  return runCli('cleanup', HELP, async () => {
    const { values } = parseFlags(argv, { full: { type: 'boolean', default: false }, lab: labFlag, help: helpFlag }, false);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const log = (l: string) => console.log(l);
    return withLab(values.lab, 'cleanup', async (lab) => {
      const docker = managerDocker(lab);
      await stopLoad(lab, log);
      const tests = (await docker.listServices({ filters: { label: ['swarmguard.test'] } })) as { ID: string; Spec: { Name: string } }[];
      for (const s of tests) {
        await docker.getService(s.ID).remove();
        log(`removed test service ${s.Spec.Name}`);
      }
      if (!values.full) {
        await resetApp(lab, new DockerSwarm(docker));
        log(`${lab.app.service} reset to ${lab.app.replicas} replica(s)`);
        return 0;
      }
      for (const name of [AGENT_SERVICE, MANAGER_SERVICE, lab.app.service]) {
        await docker.getService(name).remove().then(() => log(`removed ${name}`), () => log(`${name}: not deployed`));
      }
      const label = { filters: { label: ['swarmguard.component'] } };
      // secrets and configs stay in use until the tasks are gone: retry for a while
      const deadline = Date.now() + 30_000;
      for (;;) {
        const secrets = (await docker.listSecrets(label)) as { ID: string }[];
        const configs = (await docker.listConfigs(label)) as { ID: string }[];
        const results = await Promise.allSettled([...secrets.map((s) => docker.getSecret(s.ID).remove()), ...configs.map((c) => docker.getConfig(c.ID).remove())]);
        if (results.every((r) => r.status === 'fulfilled')) {
          log(`removed ${secrets.length} secret(s), ${configs.length} config(s)`);
          break;
        }
        if (Date.now() > deadline) throw new Error('secrets/configs still in use after 30000 ms');
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (lab.kind === 'local') {
        const res = await fetch(`${lab.influxdb.url}/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent('{__name__=~"container_metrics.*"}')}`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
        log(`stored metrics deleted (HTTP ${res.status})`);
      } else {
        log(`metrics in ${lab.influxdb.url} are left alone: delete them with your InfluxDB's own tools`);
      }
      return 0;
    });
  });
}
